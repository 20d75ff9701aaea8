package dev.annals.web;

import java.io.IOException;
import java.util.concurrent.Executor;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * A follower over Server-Sent Events: each event is an SSE message with the event's position as
 * its {@code id} (which a reconnecting {@code EventSource} sends back as {@code Last-Event-ID})
 * and its CloudEvent JSON as {@code data}. An ending other than a gone connection is sent as a
 * message named {@value #DROPPED} whose data is the reason.
 */
final class SseClient extends Client {

  /** The SSE event name of the last message of a follower the server ends. */
  static final String DROPPED = "dropped";

  private final ServerResponse.SseBuilder sse;

  SseClient(ServerResponse.SseBuilder sse, int capacity, Executor writers, Runnable release,
      Runnable onSlow) {
    super(capacity, writers, release, onSlow);
    this.sse = sse;
  }

  @Override
  void write(Followed event) throws IOException {
    sse.id(Long.toString(event.position())).data(event.json());
  }

  @Override
  void writeHeartbeat() throws IOException {
    sse.comment("heartbeat").send();
  }

  @Override
  void finish(Ending why, String reason) {
    try {
      if (why != Ending.GONE) {
        sse.event(DROPPED).data(Problems.reasonJson(why, reason));
      }
    } catch (IOException | RuntimeException e) {
      // The client is gone as well; there is nobody to tell.
    }
    try {
      sse.complete();
    } catch (RuntimeException e) {
      // Already completed by the container after a failed write.
    }
  }
}

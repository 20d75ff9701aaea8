package dev.annals.web;

import java.io.IOException;
import java.util.concurrent.Executor;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PingMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

/**
 * A follower over WebSocket: each event is one text message, its CloudEvent JSON (the position is
 * its {@code position} extension). A server-side ending closes the connection with code 1008
 * (policy violation: too slow, or a wrong start message), 1011 (the events could not be
 * read) or 1001 (shutdown), with the reason.
 */
final class SocketClient extends Client {

  /** Close code for a client that did not keep up or sent a wrong start: policy violation. */
  static final int POLICY_VIOLATION = 1008;

  private final WebSocketSession session;

  SocketClient(WebSocketSession session, int capacity, Executor writers, Runnable release,
      Runnable onSlow) {
    super(capacity, writers, release, onSlow);
    this.session = session;
  }

  @Override
  void write(Followed event) throws IOException {
    session.sendMessage(new TextMessage(event.json()));
  }

  @Override
  void writeHeartbeat() throws IOException {
    session.sendMessage(new PingMessage());
  }

  @Override
  void finish(Ending why, String reason) {
    CloseStatus status = switch (why) {
      case SLOW, REFUSED -> new CloseStatus(POLICY_VIOLATION, Problems.closeReason(reason));
      case FAILED -> CloseStatus.SERVER_ERROR.withReason(Problems.closeReason(reason));
      case SHUTDOWN -> CloseStatus.GOING_AWAY.withReason(Problems.closeReason(reason));
      case GONE -> CloseStatus.NORMAL;
    };
    try {
      session.close(status);
    } catch (IOException | RuntimeException e) {
      // The connection is gone already.
    }
  }
}

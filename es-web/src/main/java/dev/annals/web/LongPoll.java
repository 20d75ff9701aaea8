package dev.annals.web;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * One long-poll request: answered with the first events there are (up to a limit), or with none
 * at its deadline; either way with the position to ask after next. Holds no thread while it
 * waits. Thread-safe.
 */
final class LongPoll implements Subscriber {

  private final int limit;
  private final boolean answerWhenCaughtUp;
  private final Runnable release;
  private final CompletableFuture<ServerResponse> answer = new CompletableFuture<>();
  /** Guarded by this. */
  private long readUpTo;
  private boolean done;

  /**
   * @param answerWhenCaughtUp whether to answer (with no events, if none came) as soon as the
   *     follower has caught up, rather than at a deadline
   */
  LongPoll(long after, int limit, boolean answerWhenCaughtUp, Runnable release) {
    this.readUpTo = after;
    this.limit = limit;
    this.answerWhenCaughtUp = answerWhenCaughtUp;
    this.release = release;
  }

  CompletableFuture<ServerResponse> answer() {
    return answer;
  }

  @Override
  public synchronized boolean offer(List<Followed> events, long readUpTo) {
    if (done) {
      return false;
    }
    if (events.isEmpty()) {
      this.readUpTo = Math.max(this.readUpTo, readUpTo);
      return true;
    }
    List<Followed> sent = events.size() > limit ? events.subList(0, limit) : events;
    complete(ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
        .body(body(sent, sent.get(sent.size() - 1).position())));
    return false;
  }

  @Override
  public synchronized void fail(String reason) {
    complete(Problems.response(new Problems.Refused(503, "Events unavailable", reason), ""));
  }

  @Override
  public void joined() {
    if (answerWhenCaughtUp) {
      expire();
    }
  }

  /** The deadline: answers with no events, if nothing was answered yet. */
  synchronized void expire() {
    complete(ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).body(body(List.of(), readUpTo)));
  }

  private void complete(ServerResponse response) {
    if (!done) {
      done = true;
      release.run();
      answer.complete(response);
    }
  }

  /** {@code {"events":[...],"next":P}}: the events are CloudEvents JSON, written as they are. */
  private static String body(List<Followed> events, long next) {
    StringBuilder b = new StringBuilder(64 + events.stream().mapToInt(e -> e.json().length() + 1).sum());
    b.append("{\"events\":[");
    for (int i = 0; i < events.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(events.get(i).json());
    }
    return b.append("],\"next\":").append(next).append('}').toString();
  }
}

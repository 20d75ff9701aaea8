package dev.annals.messaging;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts what a publisher asks of a sink: how often each event was offered, and how it went. */
public final class CountingSink implements MessageSink {
  private final MessageSink inner;
  private final Map<String, Integer> offered = new ConcurrentHashMap<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger confirmedSends = new AtomicInteger();

  public CountingSink(MessageSink inner) {
    this.inner = inner;
  }

  /** How often each event id was offered to {@link #sendAtMostOnce}. */
  public Map<String, Integer> offered() {
    return offered;
  }

  /** Calls of {@link #sendAtMostOnce}. */
  public int calls() {
    return calls.get();
  }

  /** Calls of {@link #sendAtMostOnce} that threw. */
  public int failed() {
    return failed.get();
  }

  /** Calls of {@link #send}. */
  public int confirmedSends() {
    return confirmedSends.get();
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void send(List<OutgoingMessage> batch) throws Exception {
    confirmedSends.incrementAndGet();
    inner.send(batch);
  }

  @Override
  public void sendAtMostOnce(List<OutgoingMessage> batch) throws Exception {
    calls.incrementAndGet();
    batch.forEach(m -> offered.merge(m.id(), 1, Integer::sum));
    try {
      inner.sendAtMostOnce(batch);
    } catch (Exception e) {
      failed.incrementAndGet();
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    inner.close();
  }
}

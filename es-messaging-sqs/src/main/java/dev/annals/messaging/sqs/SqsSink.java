package dev.annals.messaging.sqs;

import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.internal.InboxDelivery;
import io.cloudevents.core.message.Encoding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Sends to an Amazon SQS queue. Needs {@code software.amazon.awssdk:sqs} and an HTTP client for
 * it (such as {@code url-connection-client}).
 *
 * <pre>{@code
 * SqsClient client = SqsClient.builder().region(Region.EU_WEST_1).build();
 * MessageSink sink = SqsSink.builder(client)
 *     .queueUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/bank-events.fifo")
 *     .build();
 * }</pre>
 *
 * <p>Each message body is the CloudEvent in structured mode (JSON, {@code
 * application/cloudevents+json}): SQS allows only ten message attributes, fewer than an event's
 * attributes and extensions.
 *
 * <ul>
 *   <li>A <b>FIFO queue</b> (its URL ends in {@code .fifo}) gets the stream id as message group
 *       and the event id as deduplication id: SQS keeps each stream in order and drops a message
 *       sent again within its five-minute deduplication window.</li>
 *   <li>A <b>standard queue</b> gets neither: SQS may deliver out of order and more than once, so
 *       its consumers rely on the inbox for duplicates and must not need per-stream order.</li>
 * </ul>
 *
 * <p>A batch goes out in requests of up to ten messages and 256 KiB. One request never holds
 * two messages of the same stream, and the next request leaves only once every message of the
 * previous one was accepted: a message rejected by SQS fails the call before any later message
 * of its stream was sent, as {@link MessageSink} requires. A single message larger than SQS
 * accepts (256 KiB) fails every try; keep payloads small or send a reference.
 *
 * <p>Thread-safe if the client is (the SDK's clients are). The client belongs to the
 * application, which closes it.
 */
public final class SqsSink implements MessageSink {

  /** What SQS accepts in one request, in entries and in bytes of the bodies. */
  static final int MAX_ENTRIES = 10;
  static final int MAX_REQUEST_BYTES = 256 * 1024;

  private final SqsClient client;
  private final String queueUrl;
  private final boolean fifo;

  private SqsSink(Builder b) {
    this.client = b.client;
    this.queueUrl = b.queueUrl;
    this.fifo = isFifo(b.queueUrl);
  }

  /** Starts configuring a sink that sends with {@code client}. */
  public static Builder builder(SqsClient client) {
    return new Builder(Objects.requireNonNull(client, "client must not be null"));
  }

  /** The queue's URL (credentials never are part of it) and its kind. */
  @Override
  public String describe() {
    return InboxDelivery.redact("Amazon SQS " + (fifo ? "FIFO" : "standard") + " queue " + queueUrl);
  }

  /** True if the queue is a FIFO queue, which keeps each stream's order and drops duplicates. */
  public boolean fifo() {
    return fifo;
  }

  @Override
  public void send(List<OutgoingMessage> batch) throws IOException {
    // One queue of pending messages per stream; each request takes the head of up to ten streams.
    Map<String, Deque<OutgoingMessage>> byStream = new LinkedHashMap<>();
    for (OutgoingMessage m : batch) {
      byStream.computeIfAbsent(m.streamId(), k -> new ArrayDeque<>()).add(m);
    }
    while (!byStream.isEmpty()) {
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>(MAX_ENTRIES);
      int bytes = 0;
      for (Iterator<Deque<OutgoingMessage>> it = byStream.values().iterator();
          it.hasNext() && entries.size() < MAX_ENTRIES; ) {
        Deque<OutgoingMessage> pending = it.next();
        SendMessageBatchRequestEntry entry = entry(pending.peek(), fifo, pending.peek().id(),
            "m" + entries.size());
        int size = entry.messageBody().getBytes(StandardCharsets.UTF_8).length;
        if (!entries.isEmpty() && bytes + size > MAX_REQUEST_BYTES) {
          continue;
        }
        entries.add(entry);
        bytes += size;
        pending.poll();
        if (pending.isEmpty()) {
          it.remove();
        }
      }
      SendMessageBatchResponse response = client.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(entries));
      if (!response.failed().isEmpty()) {
        BatchResultErrorEntry first = response.failed().get(0);
        throw new IOException(describe() + " refused " + response.failed().size() + " of "
            + entries.size() + " messages, first " + idOf(entries, first.id()) + ": " + first.code()
            + " " + first.message());
      }
    }
  }

  /**
   * The request entry of one message: the structured CloudEvent as body and, on a FIFO queue,
   * the stream as group and {@code deduplicationId} as deduplication id.
   */
  static SendMessageBatchRequestEntry entry(OutgoingMessage m, boolean fifo, String deduplicationId,
      String entryId) {
    CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), Encoding.STRUCTURED, "");
    SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder().id(entryId)
        .messageBody(new String(enc.body(), StandardCharsets.UTF_8));
    if (fifo) {
      b.messageGroupId(m.streamId()).messageDeduplicationId(deduplicationId);
    }
    return b.build();
  }

  private static String idOf(List<SendMessageBatchRequestEntry> entries, String entryId) {
    return entries.stream().filter(e -> e.id().equals(entryId)).findFirst()
        .map(e -> e.messageDeduplicationId() != null ? e.messageDeduplicationId() : entryId)
        .orElse(entryId);
  }

  static boolean isFifo(String queueUrl) {
    return queueUrl.endsWith(".fifo");
  }

  /** Nothing to release: the client belongs to the application. */
  @Override
  public void close() {}

  /** Configures an {@link SqsSink}; each setter checks its value. */
  public static final class Builder {
    private final SqsClient client;
    private String queueUrl;

    private Builder(SqsClient client) {
      this.client = client;
    }

    /**
     * The queue to send to, as its URL ({@code GetQueueUrl}); a URL ending in {@code .fifo} is a
     * FIFO queue. Required.
     *
     * @throws IllegalArgumentException if it is not an http(s) URL
     */
    public Builder queueUrl(String queueUrl) {
      Objects.requireNonNull(queueUrl, "queue URL must not be null");
      if (!queueUrl.startsWith("https://") && !queueUrl.startsWith("http://")) {
        throw new IllegalArgumentException("queue URL must be an http(s) URL as GetQueueUrl returns it, was '"
            + InboxDelivery.redact(queueUrl) + "'");
      }
      this.queueUrl = queueUrl;
      return this;
    }

    /** @throws IllegalStateException if no queue URL was set */
    public SqsSink build() {
      if (queueUrl == null) {
        throw new IllegalStateException("an SqsSink needs a queueUrl(...)");
      }
      return new SqsSink(this);
    }
  }
}

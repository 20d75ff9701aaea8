package dev.annals.messaging.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.internal.Checks;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.internal.InboxDelivery;
import dev.annals.messaging.internal.Retries;
import io.cloudevents.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Consumes CloudEvents from an Amazon SQS queue into an {@link Inbox}: each message's effect and
 * its id commit together, and only then is the message deleted, so a redelivered message has no
 * second effect. Needs {@code software.amazon.awssdk:sqs}.
 *
 * <pre>{@code
 * SqsConsumer consumer = SqsConsumer.builder(client, queueUrl, "payments", inbox,
 *         (event, handle) -> ...)
 *     .build();
 * consumer.start();
 * }</pre>
 *
 * <p>The queue must have a redrive policy: a message whose handler keeps failing (or that is not
 * a CloudEvent) is sent to the policy's dead-letter queue with the message attributes {@code
 * x-annals-error}, {@code x-annals-consumer}, {@code x-annals-attempts} and {@code
 * x-annals-queue}, and deleted; a message that crashes the consumer again and again is moved
 * there by SQS itself after the policy's {@code maxReceiveCount} receives.
 *
 * <p>Messages are received by long polling, ten at a time, and handled one at a time in the
 * order SQS returns them (per message group, on a FIFO queue, that is the order sent). While the
 * database is unreachable the consumer holds the message, extends the visibility timeout of the
 * messages it holds, and waits, so nothing overtakes them. When SQS cannot be reached it tries
 * again with backoff; messages it received but did not delete come again after their visibility
 * timeout and the inbox drops those already applied.
 *
 * <p>Thread-safe; the handler runs on the consumer's own thread ({@code sqs-consumer-<name>}).
 */
public final class SqsConsumer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final SqsClient client;
  private final String queueUrl;
  private final String name;
  private final Duration visibilityTimeout;
  private final Duration waitTime;
  private final InboxDelivery delivery;
  private volatile boolean closed;
  private Thread thread;
  private String deadLetterUrl;

  private SqsConsumer(Builder b) {
    this.client = b.client;
    this.queueUrl = b.queueUrl;
    this.name = b.name;
    this.visibilityTimeout = b.visibilityTimeout;
    this.waitTime = b.waitTime;
    this.delivery = new InboxDelivery(b.inbox, b.name, b.handler, b.retries);
  }

  /**
   * Starts configuring a consumer.
   *
   * @param client the SQS client (the application's, which closes it)
   * @param queueUrl the queue to consume, with a redrive policy (made by the application)
   * @param name the consumer's name in the inbox: ids are deduplicated per name
   * @param inbox where ids are recorded
   * @param handler the effect of each message
   */
  public static Builder builder(SqsClient client, String queueUrl, String name, Inbox inbox,
      MessageHandler handler) {
    return new Builder(client, queueUrl, name, inbox, handler);
  }

  /**
   * Reads the queue's redrive policy and starts consuming on a thread of its own.
   *
   * @throws IllegalStateException if started twice or closed, or if the queue has no redrive
   *     policy (naming the queue)
   * @throws SdkException if SQS cannot be reached or the queue does not exist
   */
  public synchronized void start() {
    if (closed || thread != null) {
      throw new IllegalStateException("consumer " + name + " on queue " + InboxDelivery.redact(queueUrl)
          + (closed ? " is closed" : " is already started"));
    }
    deadLetterUrl = deadLetterQueueUrl();
    thread = new Thread(this::run, "sqs-consumer-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private String deadLetterQueueUrl() {
    String policy = client.getQueueAttributes(r -> r.queueUrl(queueUrl)
        .attributeNames(QueueAttributeName.REDRIVE_POLICY)).attributes().get(QueueAttributeName.REDRIVE_POLICY);
    String arn = null;
    if (policy != null) {
      try {
        JsonNode target = JSON.readTree(policy).get("deadLetterTargetArn");
        arn = target == null ? null : target.asText();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("queue " + InboxDelivery.redact(queueUrl)
            + " has a redrive policy that is not JSON: " + InboxDelivery.redact(policy), e);
      }
    }
    if (arn == null) {
      throw new IllegalStateException("queue " + InboxDelivery.redact(queueUrl) + " has no redrive policy: "
          + "give it one (RedrivePolicy with deadLetterTargetArn and maxReceiveCount) so that poison "
          + "messages have somewhere to go");
    }
    // arn:aws:sqs:<region>:<account>:<name>
    String[] parts = arn.split(":");
    if (parts.length != 6) {
      throw new IllegalStateException("queue " + InboxDelivery.redact(queueUrl)
          + ": the dead-letter target of its redrive policy is not an SQS queue ARN: " + arn);
    }
    return client.getQueueUrl(r -> r.queueName(parts[5]).queueOwnerAWSAccountId(parts[4])).queueUrl();
  }

  /** What it has done since it started. */
  public ConsumerCounts counts() {
    return delivery.counts();
  }

  private void run() {
    int failures = 0;
    while (!closed) {
      List<Message> messages;
      try {
        messages = client.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)
            .waitTimeSeconds((int) waitTime.toSeconds())
            .visibilityTimeout((int) visibilityTimeout.toSeconds())
            .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages();
        failures = 0;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        failures++;
        if (failures == 1 || failures % 10 == 0) {
          InboxDelivery.LOG.log(System.Logger.Level.WARNING, "consumer {0}: cannot receive from {1} ({2}); "
              + "trying again", name, InboxDelivery.redact(queueUrl), InboxDelivery.describe(e));
        }
        sleep(delivery.backoff(failures));
        continue;
      }
      try {
        handle(messages);
      } catch (RuntimeException e) {
        // SQS failed while deleting or dead-lettering: the messages come again after their
        // visibility timeout, and the inbox drops those that took effect.
        if (!closed) {
          InboxDelivery.LOG.log(System.Logger.Level.WARNING, "consumer {0}: SQS failed while settling "
              + "messages from {1} ({2}); they come again", name, InboxDelivery.redact(queueUrl),
              InboxDelivery.describe(e));
          sleep(delivery.backoff(1));
        }
      }
    }
  }

  private void handle(List<Message> messages) {
    List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
    try {
      for (int i = 0; i < messages.size(); i++) {
        Message m = messages.get(i);
        List<Message> held = messages.subList(i, messages.size());
        CloudEvent event;
        try {
          event = CloudEventCodec.decode(Map.of(), CloudEventCodec.STRUCTURED_CONTENT_TYPE,
              m.body().getBytes(StandardCharsets.UTF_8), "");
        } catch (IllegalArgumentException e) {
          deadLetter(m, e, 1);
          done.add(delete(m, done.size()));
          continue;
        }
        InboxDelivery.Result r = delivery.deliver(event, () -> closed, () -> extend(held));
        switch (r.outcome()) {
          case APPLIED, DUPLICATE -> done.add(delete(m, done.size()));
          case DEAD -> {
            deadLetter(m, r.error(), r.attempts());
            done.add(delete(m, done.size()));
          }
          case STOPPED -> {
            // Left in flight: it and the messages after it come again after the visibility timeout.
            return;
          }
        }
      }
    } finally {
      if (!done.isEmpty()) {
        client.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(done));
      }
    }
  }

  private static DeleteMessageBatchRequestEntry delete(Message m, int index) {
    return DeleteMessageBatchRequestEntry.builder().id("d" + index).receiptHandle(m.receiptHandle()).build();
  }

  /** Keeps the held messages invisible to other consumers while the database is down. */
  private void extend(List<Message> held) {
    try {
      List<software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry> entries =
          new ArrayList<>();
      for (Message m : held) {
        entries.add(software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry.builder()
            .id("v" + entries.size()).receiptHandle(m.receiptHandle())
            .visibilityTimeout((int) visibilityTimeout.toSeconds()).build());
      }
      client.changeMessageVisibilityBatch(r -> r.queueUrl(queueUrl).entries(entries));
    } catch (RuntimeException e) {
      // Not fatal: at worst a message comes again and the inbox drops it.
      InboxDelivery.LOG.log(System.Logger.Level.DEBUG, "consumer {0}: could not extend the visibility "
          + "timeout ({1})", name, InboxDelivery.describe(e));
    }
  }

  private void deadLetter(Message m, Throwable error, int attempts) {
    String described = InboxDelivery.describe(error);
    if (described.length() > 4000) {
      described = described.substring(0, 4000) + "...";
    }
    SendMessageRequest.Builder b = SendMessageRequest.builder().queueUrl(deadLetterUrl).messageBody(m.body())
        .messageAttributes(Map.of(
            "x-annals-error", text(described),
            "x-annals-consumer", text(name),
            "x-annals-attempts", MessageAttributeValue.builder().dataType("Number")
                .stringValue(Integer.toString(attempts)).build(),
            "x-annals-queue", text(queueUrl)));
    if (SqsSink.isFifo(deadLetterUrl)) {
      String group = m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
      b.messageGroupId(group != null ? group : name).messageDeduplicationId(m.messageId());
    }
    client.sendMessage(b.build());
    InboxDelivery.LOG.log(System.Logger.Level.WARNING,
        "consumer {0}: message {1} from queue {2} moved to {3} after {4} tries: {5}", name,
        m.messageId(), InboxDelivery.redact(queueUrl), InboxDelivery.redact(deadLetterUrl), attempts, described);
    delivery.countDeadLetter();
  }

  private static MessageAttributeValue text(String value) {
    return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
  }

  private void sleep(Duration d) {
    dev.annals.core.Backoff.sleep(d, () -> !closed);
  }

  /**
   * Stops consuming and waits for the consumer's thread to end, which can take up to the wait
   * time of a receive in progress; a message in progress is left in flight and comes again after
   * its visibility timeout.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    if (t != null && t != Thread.currentThread()) {
      // Ends a long poll at once; the SDK answers the interrupt with an aborted call.
      t.interrupt();
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Configures an {@link SqsConsumer}; each setter checks its value. */
  public static final class Builder {
    private final SqsClient client;
    private final String queueUrl;
    private final String name;
    private final Inbox inbox;
    private final MessageHandler handler;
    private Duration visibilityTimeout = Duration.ofSeconds(30);
    private Duration waitTime = Duration.ofSeconds(20);
    private Retries retries = Retries.of(5, Duration.ofMillis(100), Duration.ofSeconds(10));

    private Builder(SqsClient client, String queueUrl, String name, Inbox inbox, MessageHandler handler) {
      this.client = Objects.requireNonNull(client, "client must not be null");
      this.queueUrl = Objects.requireNonNull(queueUrl, "queue URL must not be null");
      this.name = Objects.requireNonNull(name, "consumer name must not be null");
      this.inbox = Objects.requireNonNull(inbox, "inbox must not be null");
      this.handler = Objects.requireNonNull(handler, "handler must not be null");
    }

    /**
     * How long a received message stays invisible to other receivers, in whole seconds from 1 s
     * to 12 h; 30 s by default. It is extended while the consumer waits for the database.
     *
     * @throws IllegalArgumentException if out of range or not whole seconds
     */
    public Builder visibilityTimeout(Duration timeout) {
      Checks.positive(timeout, "visibility timeout");
      if (timeout.toNanosPart() != 0 || timeout.compareTo(Duration.ofHours(12)) > 0) {
        throw new IllegalArgumentException("visibility timeout must be whole seconds from 1 s to 12 h, was "
            + timeout);
      }
      this.visibilityTimeout = timeout;
      return this;
    }

    /**
     * How long one receive waits for messages (long polling), in whole seconds from 0 to 20 s;
     * 20 s by default.
     *
     * @throws IllegalArgumentException if out of range or not whole seconds
     */
    public Builder waitTime(Duration wait) {
      Objects.requireNonNull(wait, "wait time must not be null");
      if (wait.isNegative() || wait.toNanosPart() != 0 || wait.compareTo(Duration.ofSeconds(20)) > 0) {
        throw new IllegalArgumentException("wait time must be whole seconds from 0 to 20 s, was " + wait);
      }
      this.waitTime = wait;
      return this;
    }

    /**
     * How often a failing message is tried before it goes to the dead-letter queue, and the wait
     * in between: {@code first}, doubled per try up to {@code max}. 5 tries, 100 ms to 10 s by
     * default.
     *
     * @throws IllegalArgumentException if {@code maxAttempts} is not 1 to 100, {@code first} is
     *     not positive or {@code max} is shorter
     */
    public Builder retries(int maxAttempts, Duration first, Duration max) {
      this.retries = Retries.of(maxAttempts, first, max);
      return this;
    }

    /** The consumer, not yet started. */
    public SqsConsumer build() {
      return new SqsConsumer(this);
    }
  }
}

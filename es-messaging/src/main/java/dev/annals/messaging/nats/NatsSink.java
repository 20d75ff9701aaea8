package dev.annals.messaging.nats;

import dev.annals.core.internal.Redaction;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.internal.Checks;
import dev.annals.messaging.internal.CloudEventCodec;
import io.cloudevents.core.message.Encoding;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends to NATS JetStream and waits for the stream's publish acks. Needs {@code io.nats:jnats}.
 *
 * <pre>{@code
 * MessageSink sink = NatsSink.builder("nats://127.0.0.1:4222")
 *     .subjectPrefix("bank.events")       // account events go to bank.events.account
 *     .stream("BANK_EVENTS")              // created with subjects bank.events.> if missing
 *     .build();
 * }</pre>
 *
 * <p>The subject is {@code <prefix>.<category>}: one subject per category, and JetStream keeps a
 * subject's messages in publish order. Each message carries the event id as {@code Nats-Msg-Id},
 * so the server drops a message sent again within the stream's duplicate window; the CloudEvent
 * travels in binary mode ({@code ce-} headers, data as body) or structured mode in the sink's
 * {@link dev.annals.messaging.CloudEventFormat} (JSON, Protobuf or Avro, named by the
 * {@code content-type} header).
 *
 * <p>A batch is pipelined (asynchronous publishes, then all acks awaited). The connection never
 * reconnects by itself: messages buffered across a reconnect could reach the server after an
 * earlier one of their stream was lost. On any failure the connection is closed and opened again
 * at the next send, when the batch goes again whole.
 *
 * <p>Thread-safe: sends are serialized.
 */
public final class NatsSink implements MessageSink {

  static final String HEADER_PREFIX = "ce-";
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  private final String server;
  private final String subjectPrefix;
  private final String stream;
  private final Duration duplicateWindow;
  private final Encoding encoding;
  private final CloudEventFormat format;
  private final Duration ackTimeout;
  private Connection connection;
  private JetStream jetStream;
  private boolean closed;

  private NatsSink(Builder b) {
    this.server = b.server;
    this.subjectPrefix = b.subjectPrefix;
    this.stream = b.stream;
    this.duplicateWindow = b.duplicateWindow;
    this.encoding = Checks.encoding(b.encoding, b.format);
    this.format = b.format;
    this.ackTimeout = b.ackTimeout;
  }

  /**
   * {@code url}, checked to be a NATS server URL.
   *
   * @throws IllegalArgumentException naming it, its password masked, if it is not
   */
  static String serverUrl(String url) {
    Objects.requireNonNull(url, "server url must not be null");
    if (!url.startsWith("nats://") && !url.startsWith("tls://")) {
      throw new IllegalArgumentException("server url '" + Redaction.redact(url)
          + "' must start with nats:// or tls://");
    }
    return url;
  }

  /** Starts configuring a sink for the server at {@code url}, such as {@code nats://127.0.0.1:4222}. */
  public static Builder builder(String url) {
    return new Builder(url);
  }

  /** The server, its credentials masked, the subjects and the stream. */
  @Override
  public String describe() {
    return "NATS JetStream " + Redaction.redact(server) + " subjects '" + subjectPrefix + ".<category>'"
        + (stream == null ? "" : " stream " + stream);
  }

  /** The subject events of {@code category} are published on. */
  public String subject(String category) {
    return subjectPrefix + "." + category;
  }

  @Override
  public synchronized void send(List<OutgoingMessage> batch) throws Exception {
    if (closed) {
      throw new IllegalStateException(describe() + ": the sink is closed");
    }
    try {
      JetStream js = jetStream();
      List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch.size());
      for (OutgoingMessage m : batch) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), encoding, format, HEADER_PREFIX);
        Headers headers = new Headers();
        enc.headers().forEach(headers::put);
        if (enc.contentType() != null) {
          headers.put("content-type", enc.contentType());
        }
        PublishOptions.Builder options = PublishOptions.builder().messageId(m.id());
        if (stream != null) {
          options.expectedStream(stream);
        }
        acks.add(js.publishAsync(subject(m.category()), headers, enc.body(), options.build()));
      }
      long deadline = System.nanoTime() + ackTimeout.toNanos();
      for (CompletableFuture<PublishAck> ack : acks) {
        long left = Math.max(1, deadline - System.nanoTime());
        PublishAck a = ack.get(left, TimeUnit.NANOSECONDS);
        if (a.hasError()) {
          throw new IllegalStateException("JetStream refused a message: " + a.getError());
        }
      }
    } catch (Exception e) {
      disconnect();
      throw e;
    }
  }

  /**
   * Publishes with core NATS, without waiting for JetStream's acks: the stream still stores what
   * reaches it (and drops a repeated {@code Nats-Msg-Id}), but nothing tells the sink whether it
   * did. Returns once the messages are in the connection's outgoing buffer; with no connection to
   * be had it throws, after at most the 5 s connection timeout.
   *
   * @throws Exception if there is no connection; the publisher does not send the batch again
   */
  @Override
  public synchronized void sendAtMostOnce(List<OutgoingMessage> batch) throws Exception {
    if (closed) {
      throw new IllegalStateException(describe() + ": the sink is closed");
    }
    try {
      jetStream();
      for (OutgoingMessage m : batch) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), encoding, format, HEADER_PREFIX);
        Headers headers = new Headers();
        enc.headers().forEach(headers::put);
        if (enc.contentType() != null) {
          headers.put("content-type", enc.contentType());
        }
        headers.put("Nats-Msg-Id", m.id());
        connection.publish(subject(m.category()), headers, enc.body());
      }
    } catch (Exception e) {
      disconnect();
      throw e;
    }
  }

  private JetStream jetStream() throws Exception {
    if (connection != null && connection.getStatus() == Connection.Status.CONNECTED) {
      return jetStream;
    }
    disconnect();
    Options options = Options.builder().server(server).maxReconnects(0)
        .connectionTimeout(Duration.ofSeconds(5)).connectionName("annals-publisher").build();
    connection = Nats.connect(options);
    if (stream != null) {
      ensureStream(connection.jetStreamManagement());
    }
    jetStream = connection.jetStream();
    return jetStream;
  }

  private void ensureStream(JetStreamManagement jsm) throws Exception {
    try {
      jsm.getStreamInfo(stream);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != 10059) {
        throw e;
      }
      jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subjectPrefix + ".>")
          .storageType(StorageType.File).duplicateWindow(duplicateWindow).build());
    }
  }

  private void disconnect() {
    Connection c = connection;
    connection = null;
    jetStream = null;
    if (c != null) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Closes the connection; later sends fail. */
  @Override
  public synchronized void close() {
    closed = true;
    disconnect();
  }

  /** Configures a {@link NatsSink}; each setter checks its value. */
  public static final class Builder {
    private final String server;
    private String subjectPrefix;
    private String stream;
    private Duration duplicateWindow = Duration.ofMinutes(2);
    private Encoding encoding;
    private CloudEventFormat format = CloudEventFormat.JSON;
    private Duration ackTimeout = Duration.ofSeconds(30);

    private Builder(String url) {
      this.server = serverUrl(url);
    }

    /** Subjects are {@code <prefix>.<category>}. Required; dot-separated tokens, no wildcards. */
    public Builder subjectPrefix(String prefix) {
      Objects.requireNonNull(prefix, "subject prefix must not be null");
      if (!TOKEN.matcher(prefix).matches()) {
        throw new IllegalArgumentException("subject prefix '" + prefix + "' must be dot-separated "
            + "tokens of letters, digits, - or _ (no wildcards), for example bank.events");
      }
      this.subjectPrefix = prefix;
      return this;
    }

    /**
     * The JetStream stream that holds the subjects: each publish must land in it, and it is
     * created (file storage, subjects {@code <prefix>.>}) when missing. Optional: without it the
     * stream is the application's to create.
     */
    public Builder stream(String name) {
      Objects.requireNonNull(name, "stream name must not be null");
      if (!name.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException("stream name '" + name + "' must be letters, digits, - or _");
      }
      this.stream = name;
      return this;
    }

    /** The duplicate window of a stream this sink creates; 2 minutes by default. */
    public Builder duplicateWindow(Duration window) {
      this.duplicateWindow = Checks.positive(window, "duplicate window");
      return this;
    }

    /**
     * Binary (the default) or structured content mode. Binary mode sends the attributes as
     * headers; a {@link #format format} other than JSON needs structured mode.
     */
    public Builder encoding(Encoding encoding) {
      this.encoding = Objects.requireNonNull(encoding, "encoding must not be null");
      return this;
    }

    /**
     * The event format of structured mode; JSON by default. Protobuf or Avro send every event in
     * structured mode in that format (no {@link #encoding encoding} needs to be set); consumers
     * read each format by its content type.
     */
    public Builder format(CloudEventFormat format) {
      this.format = Objects.requireNonNull(format, "format must not be null");
      return this;
    }

    /** How long to wait for a batch's acks; 30 s by default. */
    public Builder ackTimeout(Duration timeout) {
      this.ackTimeout = Checks.positive(timeout, "ack timeout");
      return this;
    }

    /**
     * @throws IllegalStateException if no subject prefix was set, or binary mode was set with a
     *     format other than JSON
     */
    public NatsSink build() {
      if (subjectPrefix == null) {
        throw new IllegalStateException("a NatsSink needs a subjectPrefix(...), for example subjectPrefix(\"bank.events\")");
      }
      return new NatsSink(this);
    }
  }
}

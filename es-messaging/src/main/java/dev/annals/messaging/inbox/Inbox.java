package dev.annals.messaging.inbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessagingSchema;
import dev.annals.postgres.PostgresEventStore;
import io.cloudevents.CloudEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The idempotent receiving side: records which messages a consumer has taken effect of, in the
 * same transaction as the effect, so that a redelivered message (brokers deliver at least once)
 * has no second effect.
 *
 * <pre>{@code
 * Inbox inbox = Inbox.install(dataSource, "payments");
 * boolean applied = inbox.process("payments", cloudEvent, (event, handle) ->
 *     handle.execute("INSERT INTO payments.received ..."));
 * }</pre>
 *
 * <p>Two deliveries of one message that race (two consumer instances) are serialized by the
 * primary key: the second waits for the first's transaction and then finds the row, or, if the
 * first rolled back, takes effect itself.
 *
 * <p>Also holds the dead letters of consumers whose broker has none of its own.
 *
 * <p>Thread-safe.
 */
public final class Inbox {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Jdbi jdbi;
  private final String schema;

  private Inbox(Jdbi jdbi, String schema) {
    this.jdbi = jdbi;
    this.schema = schema;
  }

  /**
   * Installs the messaging tables in {@code schema} if needed (idempotent, see
   * {@link MessagingSchema}) and returns the inbox over them.
   *
   * @throws IllegalArgumentException if the schema name is invalid
   * @throws dev.annals.postgres.SchemaException if installing fails
   */
  public static Inbox install(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    MessagingSchema.install(dataSource, schema);
    return new Inbox(Jdbi.create(dataSource), schema);
  }

  /** {@link #install(DataSource, String)} in an event store's database and schema. */
  public static Inbox install(PostgresEventStore store) {
    MessagingSchema.install(store.dataSource(), store.schema());
    return new Inbox(store.jdbi(), store.schema());
  }

  /** The schema holding the inbox tables. */
  public String schema() {
    return schema;
  }

  /** The Jdbi instance the inbox runs its transactions on. */
  public Jdbi jdbi() {
    return jdbi;
  }

  /**
   * Runs {@code effect} once per {@code (consumer, messageId)}: in one transaction, records the
   * id and runs the effect with the transaction's handle. Both commit together or not at all.
   *
   * @return true if the effect ran and committed; false if the id was recorded before, in which
   *     case the effect did not run
   * @throws Exception what the effect threw; nothing was recorded
   */
  public boolean process(String consumer, String messageId, Effect effect) throws Exception {
    checkConsumer(consumer);
    Objects.requireNonNull(messageId, "messageId must not be null");
    Objects.requireNonNull(effect, "effect must not be null");
    return jdbi.inTransaction(h -> {
      int inserted = h.createUpdate("INSERT INTO " + schema + ".inbox (consumer, message_id) "
              + "VALUES (:consumer, :id) ON CONFLICT DO NOTHING")
          .bind("consumer", consumer).bind("id", messageId).execute();
      if (inserted == 0) {
        return false;
      }
      effect.run(h);
      return true;
    });
  }

  /**
   * {@link #process(String, String, Effect)} for a CloudEvent, keyed by its id (the event id of
   * an Annals publisher).
   */
  public boolean process(String consumer, CloudEvent event, MessageHandler handler) throws Exception {
    Objects.requireNonNull(event, "event must not be null");
    Objects.requireNonNull(handler, "handler must not be null");
    return process(consumer, event.getId(), h -> handler.handle(event, h));
  }

  /** Whether {@code consumer} has taken effect of {@code messageId}. */
  public boolean seen(String consumer, String messageId) {
    return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".inbox "
            + "WHERE consumer = :consumer AND message_id = :id")
        .bind("consumer", consumer).bind("id", messageId).mapTo(Long.class).one() > 0);
  }

  /**
   * Forgets ids recorded before {@code before}, to bound the table. A message redelivered after
   * its id was forgotten takes effect again: keep ids longer than the broker may redeliver
   * (its retention or dedupe window).
   *
   * @return how many ids were forgotten
   */
  public int forgetBefore(String consumer, Instant before) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM " + schema + ".inbox "
            + "WHERE consumer = :consumer AND received_at < :before")
        .bind("consumer", consumer).bind("before", before).execute());
  }

  // ------------------------------------------------------------------ dead letters

  /**
   * Records a message that {@code consumer} could not handle.
   *
   * @param messageId its id, null when it could not even be read
   * @param headers its transport headers, as received
   * @param body its body, as received
   * @param error why it failed: the exception's class and message
   * @param attempts how often it was tried
   * @return the dead letter's id
   */
  public long deadLetter(String consumer, String messageId, Map<String, String> headers, byte[] body,
      String error, int attempts) {
    checkConsumer(consumer);
    Objects.requireNonNull(headers, "headers must not be null");
    Objects.requireNonNull(body, "body must not be null");
    Objects.requireNonNull(error, "error must not be null");
    String headersJson;
    try {
      headersJson = JSON.writeValueAsString(headers);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write message headers as JSON", e);
    }
    return jdbi.withHandle(h -> h.createUpdate("INSERT INTO " + schema + ".inbox_dead_letters "
            + "(consumer, message_id, headers, body, error, attempts) "
            + "VALUES (:consumer, :id, CAST(:headers AS jsonb), :body, :error, :attempts)")
        .bind("consumer", consumer).bind("id", messageId).bind("headers", headersJson)
        .bind("body", body).bind("error", Redaction.redact(error)).bind("attempts", attempts)
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
  }

  /** The dead letters of {@code consumer}, oldest first. */
  public List<InboxDeadLetter> deadLetters(String consumer) {
    return jdbi.withHandle(h -> h.createQuery("SELECT id, consumer, message_id, headers::text AS headers, "
            + "body, error, attempts, failed_at FROM " + schema + ".inbox_dead_letters "
            + "WHERE consumer = :consumer ORDER BY id")
        .bind("consumer", consumer)
        .map((rs, ctx) -> new InboxDeadLetter(rs.getLong("id"), rs.getString("consumer"),
            rs.getString("message_id"), headers(rs.getString("headers")), rs.getBytes("body"),
            Redaction.redact(rs.getString("error")), rs.getInt("attempts"),
            rs.getObject("failed_at", java.time.OffsetDateTime.class).toInstant()))
        .list());
  }

  /**
   * Deletes a dead letter, after it was dealt with.
   *
   * @throws IllegalArgumentException if there is no dead letter with that id
   */
  public void discardDeadLetter(long id) {
    int deleted = jdbi.withHandle(h -> h.createUpdate("DELETE FROM " + schema
        + ".inbox_dead_letters WHERE id = :id").bind("id", id).execute());
    if (deleted == 0) {
      throw new IllegalArgumentException("no inbox dead letter with id " + id + " in schema " + schema);
    }
  }

  private static Map<String, String> headers(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable headers of an inbox dead letter: " + json, e);
    }
  }

  private static void checkConsumer(String consumer) {
    Objects.requireNonNull(consumer, "consumer must not be null");
    if (consumer.isBlank()) {
      throw new IllegalArgumentException("consumer name must not be blank");
    }
  }

  /** The effect of one message, run in the inbox transaction. */
  @FunctionalInterface
  public interface Effect {
    /** @throws Exception to roll the transaction back; the message id is not recorded */
    void run(Handle handle) throws Exception;
  }
}

package dev.annals.postgres.archive;

import dev.annals.postgres.PostgresSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * Imports what {@link LogExport} wrote into a store that does not hold its streams (an empty
 * store, typically): every event comes back with its stream, version, id, recorded-at time and
 * link hash, at new positions, each stream's events together.
 *
 * <p>Nothing is trusted: every line is parsed strictly, every stream must be complete from its
 * first version, and every hash chain is recomputed from the content before anything is written;
 * then all streams are written in one transaction. A file that fails any check, or a stream the
 * store holds already, leaves the store as it was. The data source must connect as the owner of
 * the event store's tables ({@code restore_events} is theirs alone). The file is held in memory.
 *
 * <p>Thread-safe.
 */
public final class LogImport {

  private final DataSource dataSource;
  private final String schema;

  private LogImport(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  /**
   * An importer into the event store in {@code schema}.
   *
   * @param ownerDataSource connections as the owner of the event store's tables
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   */
  public static LogImport of(DataSource ownerDataSource, String schema) {
    Objects.requireNonNull(ownerDataSource, "ownerDataSource must not be null");
    return new LogImport(ownerDataSource, PostgresSchema.checkName(schema));
  }

  /**
   * What an import wrote.
   *
   * @param streams the streams imported
   * @param events the events imported
   */
  public record Result(long streams, long events) {}

  /**
   * Reads {@code in} (UTF-8 JSON lines, as {@link LogExport} writes them), checks it whole, then
   * writes it in one transaction, calling {@code progress} with the events checked and then
   * written so far.
   *
   * @param name the file's name, for messages
   * @throws ArchiveException naming the line or stream, if the file is not an export, a stream is
   *     incomplete, a hash chain does not match, an event id repeats, or a stream exists already;
   *     nothing was written
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public Result importFrom(InputStream in, String name, LongConsumer progress) {
    Objects.requireNonNull(in, "in must not be null");
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(progress, "progress must not be null");
    Map<String, List<EventLine>> streams = new LinkedHashMap<>();
    Set<UUID> ids = new HashSet<>();
    long n = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)))) {
      String text;
      long lineNo = 0;
      while ((text = r.readLine()) != null) {
        lineNo++;
        if (text.isBlank()) {
          continue;
        }
        String where = name + " line " + lineNo;
        EventLine line = EventLine.parse(text, where);
        if (!ids.add(line.eventId())) {
          throw new ArchiveException(where + ": event id " + line.eventId() + " appears twice");
        }
        streams.computeIfAbsent(line.streamId(), s -> new ArrayList<>()).add(line);
        if (++n % 2000 == 0) {
          progress.accept(n);
        }
      }
    } catch (CharacterCodingException e) {
      throw new ArchiveException(name + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new ArchiveException("cannot read " + name + ": " + e.getMessage(), e);
    }
    if (streams.isEmpty()) {
      throw new ArchiveException(name + ": no events to import");
    }
    for (List<EventLine> lines : streams.values()) {
      Chains.verify(lines, name);
    }
    progress.accept(n);
    long events = Restore.inTransaction(dataSource, schema, "import " + name, c -> {
      long written = 0;
      for (Map.Entry<String, List<EventLine>> s : streams.entrySet()) {
        written += Restore.call(c, schema, s.getKey(), s.getValue());
      }
      return written;
    });
    progress.accept(events);
    return new Result(streams.size(), events);
  }
}

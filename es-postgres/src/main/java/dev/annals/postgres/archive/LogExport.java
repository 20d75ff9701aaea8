package dev.annals.postgres.archive;

import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.internal.SqlErrors;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * Writes the log, or a filtered part of it, as CloudEvents JSON lines in log order: one event per
 * line, with its stream, version, position, schema version, metadata and link hash, so that
 * {@link LogImport} can put it back exactly and anyone can check its hash chains. Archived
 * streams are not in the log and not exported (their archive files have the same form).
 *
 * <p>Reads one consistent moment (a repeatable-read transaction) through a server-side cursor,
 * so memory stays flat. Thread-safe.
 */
public final class LogExport {

  private static final int FETCH = 2000;

  private final DataSource dataSource;
  private final String schema;

  private LogExport(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  /**
   * An exporter of the event store in {@code schema}.
   *
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   */
  public static LogExport of(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    return new LogExport(dataSource, PostgresSchema.checkName(schema));
  }

  /**
   * Writes the events {@code filter} selects to {@code out} (UTF-8, one line each), calling
   * {@code progress} with the count so far every few thousand events and at the end. Does not
   * close {@code out}.
   *
   * @return the number of events written
   * @throws UncheckedIOException if {@code out} fails
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public long export(ExportFilter filter, OutputStream out, LongConsumer progress) {
    Objects.requireNonNull(filter, "filter must not be null");
    Objects.requireNonNull(out, "out must not be null");
    Objects.requireNonNull(progress, "progress must not be null");
    String source = "annals:" + schema;
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try (PreparedStatement ps = c.prepareStatement("SELECT " + EventLine.COLUMNS + " FROM " + schema + ".events"
          + filter.where() + " ORDER BY position")) {
        ps.setFetchSize(FETCH);
        filter.bind(ps);
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        long n = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            w.write(EventLine.of(rs).toJson(source));
            w.write('\n');
            if (++n % FETCH == 0) {
              progress.accept(n);
            }
          }
        }
        w.flush();
        progress.accept(n);
        return n;
      } finally {
        c.rollback();
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        c.setAutoCommit(autoCommit);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the export: " + e.getMessage(), e);
    } catch (SQLException | RuntimeException e) {
      throw SqlErrors.translate("export the log", schema, e);
    }
  }
}

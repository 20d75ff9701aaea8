package dev.annals.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * CPU time PostgreSQL spent serving the connections of one application name, read from
 * {@code /proc/<pid>/stat} of their backends, so the database must run on this host.
 *
 * <p>Unlike throughput, it barely moves when other work shares the machine, which makes it the
 * steadier figure for comparing what an append costs the server.
 */
final class ServerCpu {

  /** Linux reports process times in clock ticks of 1/100 s on every common configuration. */
  static final double MICROS_PER_TICK = 10_000;

  private ServerCpu() {}

  /** The backends' CPU ticks so far, or empty when they are not processes of this host. */
  static OptionalLong ticks(String url, String applicationName) throws SQLException {
    List<Integer> pids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
      ps.setString(1, applicationName);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
    }
    if (pids.isEmpty()) {
      return OptionalLong.empty();
    }
    long total = 0;
    for (int pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        if (!stat.contains("(postgres)")) {
          return OptionalLong.empty();
        }
        // Fields after the command name: state is the first, utime the 12th and stime the 13th.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        total += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      } catch (NoSuchFileException e) {
        return OptionalLong.empty();
      } catch (IOException e) {
        return OptionalLong.empty();
      }
    }
    return OptionalLong.of(total);
  }
}

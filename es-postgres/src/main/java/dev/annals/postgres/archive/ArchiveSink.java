package dev.annals.postgres.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where archive files go: shaped like an object store (a key in, a location out, objects never
 * overwritten), so that an S3 or GCS bucket can stand behind it as well as a directory ({@link
 * #directory}). Implementations must be thread-safe.
 */
public interface ArchiveSink {

  /**
   * Stores {@code content} under {@code key} and returns its location, the text a tombstone keeps
   * and {@link #open} takes.
   *
   * @param key a name of letters, digits and {@code . _ - %}
   * @throws IOException if it cannot be stored, or other content is stored under {@code key}
   *     already (the same content again is fine: a stream archived, restored and archived again
   *     at the same version gives the same file)
   */
  String put(String key, byte[] content) throws IOException;

  /**
   * Opens what {@link #put} stored at {@code location}.
   *
   * @throws java.nio.file.NoSuchFileException if there is nothing there
   * @throws IOException if it cannot be read
   */
  InputStream open(String location) throws IOException;

  /**
   * A sink writing one file per key into {@code directory} (created if missing). Locations are
   * the files' absolute paths; {@link #open} finds a file by its name in this directory, so an
   * archive directory may be moved or copied elsewhere and still be verified.
   */
  static ArchiveSink directory(Path directory) {
    return new DirectorySink(Objects.requireNonNull(directory, "directory must not be null").toAbsolutePath());
  }
}

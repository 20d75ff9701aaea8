package dev.annals.postgres.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.regex.Pattern;

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

  /** {@link ArchiveSink#directory}. */
  final class DirectorySink implements ArchiveSink {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._%-]{1,250}");

    private final Path directory;

    private DirectorySink(Path directory) {
      this.directory = directory;
    }

    @Override
    public String put(String key, byte[] content) throws IOException {
      Path target = resolve(key);
      Files.createDirectories(directory);
      if (Files.exists(target)) {
        if (java.util.Arrays.equals(Files.readAllBytes(target), content)) {
          return target.toString();
        }
        throw new FileAlreadyExistsException(target.toString(), null, "another archive is stored there already");
      }
      // Written aside and moved in, so that a file under its final name is always complete.
      Path partial = Files.createTempFile(directory, ".partial-", ".tmp");
      try {
        Files.write(partial, content);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(partial);
      }
      return target.toString();
    }

    @Override
    public InputStream open(String location) throws IOException {
      Objects.requireNonNull(location, "location must not be null");
      Path name = Path.of(location).getFileName();
      if (name == null) {
        throw new NoSuchFileException(location);
      }
      return Files.newInputStream(resolve(name.toString()));
    }

    private Path resolve(String key) {
      if (!KEY.matcher(key).matches() || key.startsWith(".")) {
        throw new IllegalArgumentException("archive key must be 1 to 250 letters, digits or . _ - %, "
            + "not starting with a dot, was '" + dev.annals.core.internal.Printable.cut(key, 60) + "'");
      }
      return directory.resolve(key);
    }

    @Override
    public String toString() {
      return "directory " + directory;
    }
  }
}

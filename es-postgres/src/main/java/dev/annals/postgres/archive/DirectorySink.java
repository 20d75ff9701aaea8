package dev.annals.postgres.archive;

import dev.annals.core.internal.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/** {@link ArchiveSink#directory}: one file per key in a directory. */
final class DirectorySink implements ArchiveSink {
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._%-]{1,250}");

  private final Path directory;

  DirectorySink(Path directory) {
    this.directory = directory;
  }

  @Override
  public String put(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    Files.createDirectories(directory);
    if (Files.exists(target)) {
      if (Arrays.equals(Files.readAllBytes(target), content)) {
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
          + "not starting with a dot, was '" + Printable.cut(key, 60) + "'");
    }
    return directory.resolve(key);
  }

  @Override
  public String toString() {
    return "directory " + directory;
  }
}

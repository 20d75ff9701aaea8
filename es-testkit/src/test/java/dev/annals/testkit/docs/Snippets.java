package dev.annals.testkit.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the code blocks of the Markdown docs that are marked {@code <!-- snippet: NAME -->} (or
 * {@code <!-- output: NAME -->}) and the regions of the example sources between
 * {@code // tag::NAME[]} and {@code // end::NAME[]}, and compares them. Comparison ignores common
 * indentation, trailing spaces, line endings and surrounding blank lines, nothing else.
 */
final class Snippets {

  private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*(snippet|output):\\s*([\\w.-]+)\\s*-->\\s*$");
  private static final Pattern FENCE_OPEN = Pattern.compile("^\\s*(`{3,})\\s*([\\w+-]*)\\s*$");
  private static final Pattern TAG = Pattern.compile("^\\s*//\\s*(tag|end)::([\\w.-]+)\\[\\]\\s*$");
  /**
   * Where the example sources are: this package, and the {@code docs} test package of a module
   * whose examples need that module (which this one cannot depend on).
   */
  private static final List<String> SOURCES = List.of(
      "es-testkit/src/test/java/dev/annals/testkit/docs",
      "es-postgres/src/test/java/dev/annals/postgres/docs");

  private Snippets() {}

  /**
   * A marked code block of a document.
   *
   * @param doc the document, relative to the project root
   * @param name the name in its marker
   * @param line the marker's line number, from 1
   * @param code the block's content, {@linkplain #normalize normalized}
   */
  record Block(String doc, String name, int line, String code) {}

  /**
   * A tagged region of an example source.
   *
   * @param file the source file's name
   * @param line the line of its {@code tag::} marker, from 1
   * @param code the region's content without nested markers, {@linkplain #normalize normalized}
   */
  record Region(String file, String name, int line, String code) {}

  /**
   * The project root: the nearest directory above this class's output (or, failing that, above
   * the working directory) that holds a {@code pom.xml} and a {@code docs} directory. Works
   * whether the tests run from the module, from the root, or from an IDE.
   */
  static Path root() {
    List<Path> starts = new ArrayList<>();
    try {
      starts.add(Paths.get(Snippets.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (URISyntaxException | RuntimeException e) {
      // No usable code source (unusual class loader): the working directory remains.
    }
    starts.add(Paths.get("").toAbsolutePath());
    for (Path start : starts) {
      for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
        if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("docs"))) {
          return dir;
        }
      }
    }
    throw new IllegalStateException("cannot find the project root (a directory with pom.xml and docs/) "
        + "above any of " + starts);
  }

  static Path docs() {
    return root().resolve("docs");
  }

  /** README.md and every docs/*.md, in a stable order. */
  static List<Path> documents() {
    List<Path> documents = new ArrayList<>();
    documents.add(root().resolve("README.md"));
    try (Stream<Path> files = Files.list(docs())) {
      documents.addAll(files.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + docs(), e);
    }
    return documents;
  }

  /** Every tagged region of the example sources, by name. */
  static Map<String, Region> regions() {
    Map<String, Region> regions = new LinkedHashMap<>();
    for (String sources : SOURCES) {
      Path dir = root().resolve(sources);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList())) {
          parseRegions(file.getFileName().toString(), read(file), regions);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    return regions;
  }

  /** The blocks of {@code doc} marked with {@code kind} ("snippet" or "output"). */
  static List<Block> blocks(Path doc, String kind) {
    return blocks(root().relativize(doc).toString().replace('\\', '/'), read(doc), kind);
  }

  static List<Block> blocks(String doc, String markdown, String kind) {
    return parseBlocks(doc, markdown).stream()
        .filter(b -> b.kind.equals(kind))
        .map(b -> b.block)
        .collect(Collectors.toList());
  }

  /** The line numbers of {@code ```java} blocks in {@code doc} that carry no snippet marker. */
  static List<Integer> unmarkedJavaBlocks(Path doc) {
    return unmarkedJavaBlocks(root().relativize(doc).toString(), read(doc));
  }

  static List<Integer> unmarkedJavaBlocks(String doc, String markdown) {
    List<Integer> unmarked = new ArrayList<>();
    String[] lines = markdown.split("\r?\n", -1);
    String pending = null;
    for (int i = 0; i < lines.length; i++) {
      Matcher marker = MARKER.matcher(lines[i]);
      Matcher fence = FENCE_OPEN.matcher(lines[i]);
      if (marker.matches()) {
        pending = marker.group(1);
      } else if (fence.matches()) {
        if (fence.group(2).equals("java") && !"snippet".equals(pending)) {
          unmarked.add(i + 1);
        }
        i = closingFence(lines, i, fence.group(1), doc);
        pending = null;
      } else if (!lines[i].isBlank()) {
        pending = null;
      }
    }
    return unmarked;
  }

  private record Marked(String kind, Block block) {}

  private static List<Marked> parseBlocks(String doc, String markdown) {
    List<Marked> found = new ArrayList<>();
    String[] lines = markdown.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher fence = FENCE_OPEN.matcher(lines[i]);
      if (fence.matches()) {
        i = closingFence(lines, i, fence.group(1), doc);
        continue;
      }
      Matcher marker = MARKER.matcher(lines[i]);
      if (!marker.matches()) {
        continue;
      }
      String kind = marker.group(1);
      String name = marker.group(2);
      int markerLine = i + 1;
      int open = i + 1;
      while (open < lines.length && lines[open].isBlank()) {
        open++;
      }
      Matcher opening = open < lines.length ? FENCE_OPEN.matcher(lines[open]) : null;
      if (opening == null || !opening.matches()
          || (kind.equals("snippet") && !opening.group(2).equals("java"))) {
        throw new IllegalStateException(doc + ":" + markerLine + ": " + kind + " '" + name
            + "' must be followed by a " + (kind.equals("snippet") ? "```java" : "```") + " block");
      }
      int close = closingFence(lines, open, opening.group(1), doc);
      StringBuilder code = new StringBuilder();
      for (int j = open + 1; j < close; j++) {
        code.append(lines[j]).append('\n');
      }
      found.add(new Marked(kind, new Block(doc, name, markerLine, normalize(code.toString()))));
      i = close;
    }
    return found;
  }

  private static int closingFence(String[] lines, int open, String ticks, String doc) {
    for (int j = open + 1; j < lines.length; j++) {
      String trimmed = lines[j].strip();
      if (trimmed.startsWith(ticks) && trimmed.chars().allMatch(c -> c == '`')) {
        return j;
      }
    }
    throw new IllegalStateException(doc + ":" + (open + 1) + ": code block is never closed");
  }

  /**
   * Adds the tagged regions of one source to {@code into}.
   *
   * @throws IllegalStateException if a region is opened twice, closed without being opened, left
   *     open, or its name is already taken
   */
  static void parseRegions(String file, String source, Map<String, Region> into) {
    String[] lines = source.split("\r?\n", -1);
    Map<String, Integer> open = new LinkedHashMap<>();
    Map<String, StringBuilder> content = new LinkedHashMap<>();
    for (int i = 0; i < lines.length; i++) {
      Matcher tag = TAG.matcher(lines[i]);
      if (tag.matches()) {
        String name = tag.group(2);
        if (tag.group(1).equals("tag")) {
          if (open.containsKey(name) || into.containsKey(name)) {
            Region other = into.get(name);
            throw new IllegalStateException(file + ":" + (i + 1) + ": region '" + name + "' is already defined at "
                + (other != null ? other.file() + ":" + other.line() : file + ":" + open.get(name)));
          }
          open.put(name, i + 1);
          content.put(name, new StringBuilder());
        } else {
          Integer start = open.remove(name);
          if (start == null) {
            throw new IllegalStateException(file + ":" + (i + 1) + ": end::" + name + "[] without tag::"
                + name + "[] before it");
          }
          into.put(name, new Region(file, name, start, normalize(content.remove(name).toString())));
        }
        continue;
      }
      for (StringBuilder region : content.values()) {
        region.append(lines[i]).append('\n');
      }
    }
    if (!open.isEmpty()) {
      Map.Entry<String, Integer> first = open.entrySet().iterator().next();
      throw new IllegalStateException(file + ":" + first.getValue() + ": region '" + first.getKey()
          + "' has no end::" + first.getKey() + "[]");
    }
  }

  /**
   * Why {@code block} does not show its region, or empty when it does.
   */
  static Optional<String> mismatch(Block block, Map<String, Region> regions) {
    Region region = regions.get(block.name());
    if (region == null) {
      return Optional.of(block.doc() + ":" + block.line() + ": snippet '" + block.name()
          + "' has no tagged region; put the example in a test under one of " + SOURCES + " between // tag::"
          + block.name() + "[] and // end::" + block.name() + "[]");
    }
    if (region.code().equals(block.code())) {
      return Optional.empty();
    }
    String[] shown = block.code().split("\n", -1);
    String[] compiled = region.code().split("\n", -1);
    int line = 0;
    while (line < shown.length && line < compiled.length && shown[line].equals(compiled[line])) {
      line++;
    }
    return Optional.of(block.doc() + ":" + block.line() + ": snippet '" + block.name()
        + "' differs from its tagged region at " + region.file() + ":" + region.line() + "\n"
        + "  first difference at line " + (line + 1) + " of the snippet:\n"
        + "    doc:  " + (line < shown.length ? shown[line] : "(nothing: the doc's snippet ends here)") + "\n"
        + "    code: " + (line < compiled.length ? compiled[line] : "(nothing: the tagged region ends here)") + "\n"
        + "  the tagged region reads:\n" + region.code().indent(4));
  }

  /**
   * The text with line endings unified, trailing spaces and surrounding blank lines removed, and
   * the indentation common to its non-blank lines taken away.
   */
  static String normalize(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\r?\n", -1)) {
      lines.add(line.stripTrailing());
    }
    while (!lines.isEmpty() && lines.get(0).isEmpty()) {
      lines.remove(0);
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    int indent = lines.stream().filter(l -> !l.isEmpty())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return lines.stream().map(l -> l.isEmpty() ? l : l.substring(indent)).collect(Collectors.joining("\n"));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}

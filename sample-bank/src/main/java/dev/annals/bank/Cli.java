package dev.annals.bank;

import dev.annals.core.internal.Redaction;
import dev.annals.postgres.PostgresSchema;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What the bank's command lines (the demo, {@code serve} and {@code audit}) share on picocli:
 * one line on stderr and exit status 2 for bad input, and converters whose messages name the bad
 * value.
 */
public final class Cli {

  /** Exit status for a bad command line. */
  public static final int USAGE = 2;

  private Cli() {}

  /**
   * Sets up {@code commandLine} to print help to {@code out}, and each usage error as one line
   * on {@code err}, starting with {@code prefix}, with exit status {@value #USAGE}.
   */
  public static CommandLine configure(CommandLine commandLine, String prefix, PrintStream out, PrintStream err) {
    Objects.requireNonNull(prefix, "prefix");
    commandLine.setOut(writer(out));
    commandLine.setErr(writer(err));
    commandLine.setParameterExceptionHandler(new UsageErrors(prefix));
    commandLine.setExecutionExceptionHandler(new OwnHandler());
    return commandLine;
  }

  /**
   * Prints a usage error as one line. picocli asks the handler of the command whose
   * {@code execute} runs, not the failing subcommand's; so the line takes the prefix of the
   * failing command, or of its nearest parent that has one (a subcommand added later, such as
   * {@code audit} to {@code bank}, keeps its own).
   */
  private record UsageErrors(String prefix) implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException e, String[] args) {
      String own = prefix;
      for (CommandLine c = e.getCommandLine(); c != null; c = c.getParent()) {
        if (c.getParameterExceptionHandler() instanceof UsageErrors u) {
          own = u.prefix;
          break;
        }
      }
      e.getCommandLine().getErr().println(own + usageMessage(e));
      e.getCommandLine().getErr().flush();
      return USAGE;
    }
  }

  /**
   * Hands an exception to the handler of the command it came from, for the same reason: so that
   * {@code bank audit} fails as {@code audit} does. Without one of its own, rethrows.
   */
  private static final class OwnHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine failed, ParseResult parsed) throws Exception {
      IExecutionExceptionHandler own = failed.getExecutionExceptionHandler();
      if (own != null && !(own instanceof OwnHandler)) {
        return own.handleExecutionException(e, failed, parsed);
      }
      throw e;
    }
  }

  private static PrintWriter writer(PrintStream stream) {
    return new PrintWriter(new java.io.OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
  }

  /**
   * The one line that says what is wrong with a command line. An option that belongs to another
   * command of the same program is named with the command it belongs to, which says more than
   * "unknown option".
   */
  static String usageMessage(ParameterException e) {
    String message = firstLine(e.getMessage()).replaceFirst("^Error: ", "");
    if (e instanceof UnmatchedArgumentException unmatched) {
      List<String> arguments = unmatched.getUnmatched();
      CommandSpec spec = e.getCommandLine().getCommandSpec();
      if (!arguments.isEmpty() && arguments.get(0).startsWith("-") && spec.parent() != null) {
        String option = arguments.get(0).split("=", 2)[0];
        for (CommandLine sibling : spec.parent().subcommands().values()) {
          OptionSpec found = sibling.getCommandSpec().findOption(option);
          if (found != null && sibling.getCommandSpec() != spec) {
            message = option + " applies to " + sibling.getCommandName() + " only, not to " + spec.name();
            break;
          }
        }
      }
    }
    String help = e.getCommandLine().getCommandSpec().qualifiedName(" ");
    return Redaction.redact(message) + " (" + help + " --help shows the usage)";
  }

  static String firstLine(String message) {
    return String.valueOf(message).lines().findFirst().orElse("");
  }

  /**
   * {@code -h}/{@code --help} alone: picocli's standard help options would add {@code --version},
   * which the auditor's {@code as-of} needs for itself.
   */
  public static final class Help {
    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean requested;
  }

  /** A whole number, 0 or more. */
  public static final class Count implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        long v = Long.parseLong(value);
        if (v >= 0) {
          return v;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new TypeConversionException("'" + value + "' is not a whole number, 0 or more");
    }
  }

  /** A whole number, of any sign (the demo's settings check their own ranges). */
  public static final class WholeNumber implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a whole number");
      }
    }
  }

  /** A schema name PostgreSQL and the store accept. */
  public static final class Schema implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        return PostgresSchema.checkName(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("bad schema name '" + value + "': " + e.getMessage());
      }
    }
  }
}

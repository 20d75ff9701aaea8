// Over 400 lines: the auditor's five commands, their picocli declarations and their output.
package dev.annals.bank.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.Cli;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.core.AggregateHistory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AnnalsException;
import dev.annals.core.AsOf;
import dev.annals.core.BookClosing;
import dev.annals.core.PersonalDataException;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.internal.Redaction;
import dev.annals.postgres.Anchor;
import dev.annals.postgres.AnchorException;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.IntegrityVerifier.Violation;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.SchemaException;
import dev.annals.postgres.SnapshotVerifier;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.Projector;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The auditor's command line for the sample bank's PostgreSQL store: shows an account's events,
 * replays an account as of an earlier point, verifies the whole log, and anchors it.
 *
 * <pre>
 * bank audit [--schema NAME] [--json] history ACCOUNT
 * bank audit [--schema NAME] [--json] as-of ACCOUNT (--version V | --position P | --time ISO-8601)
 * bank audit [--schema NAME] [--json] rebuild VIEW [--from-position P]
 * bank audit [--schema NAME] [--json] verify [--anchor FILE [--public-key KEY]]
 * bank audit [--schema NAME] [--json] anchor FILE [--private-key KEY]
 * </pre>
 *
 * <p>The command line is picocli's ({@code bank audit --help}, {@code bank audit verify --help});
 * {@code --schema} and {@code --json} may also follow the command's name. This class's
 * {@link #main} runs the same commands without the {@code bank audit} in front.
 *
 * <ul>
 *   <li>{@code history ACCOUNT}: every event of the account with its version, log position,
 *       recorded-at time, actor, correlation id, type and payload.</li>
 *   <li>{@code as-of ACCOUNT --version V}, {@code --position P} or {@code --time T} (such as
 *       {@code 2025-01-31T12:00:00Z}): the account's state after version {@code V}, or made of
 *       its events at or before log position {@code P}, or recorded at or before {@code T}, and
 *       the events that led there.</li>
 *   <li>{@code rebuild VIEW [--from-position P]}: rebuilds one read model ({@code balances},
 *       {@code statements}, {@code daily_totals} or {@code transfers}) from the start, or replays
 *       it from the event at log position {@code P}, with progress on stderr. When a running bank
 *       owns the projector, the reset reaches it and the command waits for it to catch up.</li>
 *   <li>{@code verify}: recomputes the hash chain of every stream in the log (progress on
 *       stderr) and prints each violation with its stream, version, position and kind; replays
 *       every account from its events alone (no snapshots), checks that money is conserved
 *       ({@link MoneyAudit}) and that the {@code balances} read model agrees with the replay
 *       ({@link MoneyAudit#balancesAgree}). A schema without that read model is reported, not
 *       counted as a problem. Every stored account snapshot is compared with a replay of its
 *       stream up to the snapshot's version ({@link SnapshotVerifier}); each one that differs, or
 *       is not bound to its stream's hash chain, is named with its stream and version. Money may sit in transit only in transfers whose process is under
 *       way ({@link MoneyAudit.Stranded}). With {@code --anchor FILE} it also compares the store
 *       with that anchor and reports every anchored stream whose head is missing or differs;
 *       {@code --public-key KEY} (Ed25519, X.509 PEM or DER) checks the anchor's signature first.
 *       When the store refuses to open because of its transaction ids, the hash chains (and the
 *       anchor) are still verified and the refusal is reported as a problem.</li>
 *   <li>{@code anchor FILE}: writes an anchor of the log to {@code FILE}: the log position and
 *       every stream's head with a digest over them (see {@link Anchor}), signed when {@code
 *       --private-key KEY} (Ed25519, PKCS#8 PEM or DER) is given. Keep it away from the
 *       database.</li>
 *   <li>{@code --json}: one JSON document on stdout instead of text.</li>
 * </ul>
 *
 * <p>The database is the one at the JDBC URL in {@code BANK_DB_URL}, else
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}; the schema is {@code bank_demo}
 * unless {@code --schema} names another. Only {@code rebuild} writes, and only to the view it
 * rebuilds and its projector's checkpoint.
 *
 * <p>Exit status, for scripts:
 * <ul>
 *   <li>0: the command succeeded; for {@code verify}, nothing was found;</li>
 *   <li>1: {@code verify} found problems (a broken hash chain or an event out of its place, an
 *       anchored head missing or different, money not conserved or stranded in a finished
 *       transfer, a read model that disagrees with the log, an account whose events cannot be
 *       replayed, a snapshot that does not match its stream, or a store that refuses to open over its
 *       transaction ids);</li>
 *   <li>2: usage error or bad input (unknown command or option, missing account, bad version or
 *       time, account not found, an anchor or key file that cannot be read or does not verify),
 *       with a one-line message on stderr naming the bad value;</li>
 *   <li>3: the database cannot be reached, or the schema does not hold an event store;</li>
 *   <li>4: stored data cannot be read, or an internal error: an event that no longer decodes
 *       (named by stream and version), a stream row that cannot be anchored (run {@code verify}),
 *       with a one-line message on stderr.</li>
 * </ul>
 */
public final class AuditMain {

  static final int OK = 0;
  static final int PROBLEMS = 1;
  static final int USAGE = 2;
  static final int UNAVAILABLE = 3;
  static final int UNREADABLE = 4;

  /** How long {@code rebuild} waits for a running bank that owns the projector to catch up. */
  private static final Duration REBUILD_WAIT = Duration.ofMinutes(30);

  private static final String PREFIX = "Annals audit: ";
  private static final int PAGE = 1000;

  /** Held so that its level stays set: the library's progress messages would interleave with the report. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  private AuditMain() {}

  /**
   * Runs one command and exits with its status (see the class description). Reads
   * {@code BANK_DB_URL} from the environment.
   */
  public static void main(String[] args) {
    int status = run(args, System.getenv(), System.out, System.err);
    System.out.flush();
    System.err.flush();
    System.exit(status);
  }

  /** Runs one command, printing to {@code out} and {@code err}; returns the exit status. */
  static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    return commandLine(environment, out, err).execute(args);
  }

  /**
   * The auditor's command line ({@code bank audit}) on the database {@code environment} names,
   * printing to {@code out} and {@code err}; its {@code execute} returns the exit status.
   */
  public static CommandLine commandLine(Map<String, String> environment, PrintStream out, PrintStream err) {
    CommandLine line = Cli.configure(new CommandLine(new Root(environment, out, err)), PREFIX, out, err);
    // A safety net: exit 1 means "verify found problems" to scripts, so nothing may leave as a stack trace.
    line.setExecutionExceptionHandler((e, failed, parsed) -> {
      if (e instanceof RuntimeException runtime) {
        return unreadable(runtime, err);
      }
      err.println(PREFIX + firstLine(Redaction.redact(String.valueOf(e.getMessage()))));
      return UNREADABLE;
    });
    return line;
  }

  /** Runs a parsed command (the body of every subcommand). */
  static int execute(Command command, Map<String, String> environment, PrintStream out, PrintStream err) {
    LIBRARY_LOG.setLevel(Level.WARNING);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    Optional<AuditAnchor> anchor;
    Optional<PrivateKey> signingKey;
    try {
      anchor = command.anchorFile.map(file -> AuditAnchor.load(file, command.publicKey));
      signingKey = command.privateKey.map(Anchor::readPrivateKey);
    } catch (AnchorException e) {
      err.println(PREFIX + firstLine(e.getMessage()));
      return USAGE;
    }
    String configured = environment.get(BankStorage.URL_VARIABLE);
    String url = configured != null && !configured.isBlank() ? configured.trim() : BankStorage.LOCAL_URL;
    Optional<String> problem = BankStorage.probe(url);
    if (problem.isPresent()) {
      err.println(PREFIX + "cannot reach the database at " + BankStorage.redact(url) + ": " + problem.get());
      return UNAVAILABLE;
    }
    PostgresEventStore store;
    try {
      store = BankStorage.protectPersonalData(PostgresEventStore.builder(BankEvents.REGISTRY), System.getenv())
          .jdbcUrl(url)
          .schema(command.schema)
          .poolSize(2)
          .connectionTimeout(Duration.ofSeconds(3))
          .notifyInterval(Duration.ZERO)
          .installSchema(false)
          .build();
    } catch (SchemaException e) {
      if (command.name.equals("verify")) {
        // A store that refuses to open may still hold a log: verify what can be verified.
        try {
          Optional<Integer> status = verifyUnopened(url, command, anchor, e, out, err);
          if (status.isPresent()) {
            return status.get();
          }
        } catch (StoreUnavailableException lost) {
          err.println(PREFIX + "lost the database at " + BankStorage.redact(url) + ": " + firstLine(lost.getMessage()));
          return UNAVAILABLE;
        }
      }
      err.println(PREFIX + "no event store in schema " + command.schema + " at " + BankStorage.redact(url)
          + ": " + firstLine(e.getMessage()));
      return UNAVAILABLE;
    } catch (StoreUnavailableException e) {
      err.println(PREFIX + "cannot reach the database at " + BankStorage.redact(url) + ": "
          + firstLine(e.getMessage()));
      return UNAVAILABLE;
    }
    try (store) {
      Auditor auditor = new Auditor(store, command, anchor, out, err);
      if (command.name.equals("history")) {
        return auditor.history();
      }
      if (command.name.equals("as-of")) {
        return auditor.asOf();
      }
      if (command.name.equals("rebuild")) {
        return auditor.rebuild();
      }
      if (command.name.equals("anchor")) {
        return auditor.anchor(signingKey);
      }
      return auditor.verify();
    } catch (UsageException | AnchorException e) {
      err.println(PREFIX + firstLine(e.getMessage()));
      return USAGE;
    } catch (StoreUnavailableException e) {
      err.println(PREFIX + "lost the database at " + BankStorage.redact(url) + ": " + firstLine(e.getMessage()));
      return UNAVAILABLE;
    } catch (RuntimeException e) {
      // Exit 1 means "verify found problems" to scripts, so nothing else may leave as a stack trace.
      return unreadable(e, err);
    }
  }

  private static int unreadable(RuntimeException e, PrintStream err) {
    err.println(PREFIX + firstLine(Redaction.redact(String.valueOf(e.getMessage()))));
    return UNREADABLE;
  }

  /**
   * {@code verify} of a schema whose store refused to open: when the schema holds the event store
   * at the expected version (so the refusal is about its contents, such as transaction ids ahead
   * of the cluster), verifies the hash chains and the anchor on a plain connection and reports
   * the refusal as a problem. Empty when there is no such event store: the caller says so.
   */
  private static Optional<Integer> verifyUnopened(String url, Command command, Optional<AuditAnchor> anchor,
      SchemaException refusal, PrintStream out, PrintStream err) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(url);
    dataSource.setConnectTimeout(3);
    try {
      PostgresSchema.check(dataSource, command.schema);
    } catch (SchemaException | StoreUnavailableException noStore) {
      return Optional.empty();
    }
    IntegrityVerifier verifier = IntegrityVerifier.of(dataSource, command.schema);
    Report chains = verifyChains(verifier, err);
    Optional<Report> anchored = anchor.map(a -> a.compare(verifier));
    String reason = firstLine(refusal.getMessage());
    ObjectMapper mapper = new ObjectMapper();
    if (command.json) {
      ObjectNode doc = mapper.createObjectNode();
      doc.put("schema", command.schema);
      doc.put("ok", false);
      chainsJson(chains, doc);
      anchor.ifPresent(a -> a.json(anchored.get(), doc));
      doc.put("storeRefused", reason);
      try {
        out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write the JSON report: " + e.getMessage(), e);
      }
    } else {
      printChains(command.schema, chains, out);
      anchor.ifPresent(a -> a.print(anchored.get(), out));
      out.println("Replay, money and read model: not checked, the store refuses to open: " + reason);
      out.println("Verdict: PROBLEMS FOUND");
    }
    return Optional.of(PROBLEMS);
  }

  /** Verifies every hash chain, with progress on {@code err}. */
  private static Report verifyChains(IntegrityVerifier verifier, PrintStream err) {
    Report chains = verifier.verify(Scope.all(), (done, total, events) -> {
      err.printf(Locale.ROOT, "\rVerifying hash chains: %,d of %,d streams, %,d events", done, total, events);
      err.flush();
    });
    err.println();
    return chains;
  }

  private static void chainsJson(Report chains, ObjectNode doc) {
    ObjectNode hash = doc.putObject("hashChains");
    hash.put("intact", chains.intact());
    hash.put("streamsChecked", chains.streamsChecked());
    hash.put("eventsChecked", chains.eventsChecked());
    ArrayNode violations = hash.putArray("violations");
    for (Violation v : chains.violations()) {
      violations.addObject().put("stream", v.stream()).put("version", v.version())
          .put("position", v.position()).put("kind", v.kind().name()).put("detail", v.detail());
    }
  }

  private static void printChains(String schema, Report chains, PrintStream out) {
    out.printf(Locale.ROOT, "Schema %s: %,d streams, %,d events%n", schema, chains.streamsChecked(),
        chains.eventsChecked());
    if (chains.intact()) {
      out.println("Hash chains: intact");
    } else {
      out.printf(Locale.ROOT, "Hash chains: BROKEN in %d stream%s%n", chains.violations().size(),
          chains.violations().size() == 1 ? "" : "s");
      for (Violation v : chains.violations()) {
        out.printf(Locale.ROOT, "  stream %s, version %d, position %d: %s (%s)%n", v.stream(), v.version(),
            v.position(), v.kind(), v.detail());
      }
    }
  }

  private static String firstLine(String message) {
    return String.valueOf(message).lines().findFirst().orElse("");
  }

  /** Bad input from the command line; the message names the bad value. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** A parsed command, as the subcommands hand it to {@link #execute}. */
  static final class Command {
    String name;
    String account;
    String schema = BankStorage.DEMO_SCHEMA;
    boolean json;
    AsOf asOf;
    String asOfText;
    String view;
    long fromPosition;
    Optional<Path> anchorFile = Optional.empty();
    Optional<Path> publicKey = Optional.empty();
    Optional<Path> privateKey = Optional.empty();
    Path anchorOut;
  }

  /** The options every command takes, before or after its name. */
  static final class Common {
    @Option(names = "--schema", paramLabel = "NAME", converter = Cli.Schema.class,
        description = "Schema of the event store (default: " + BankStorage.DEMO_SCHEMA + ").")
    String schema;

    @Option(names = "--json", description = "Print one JSON document on stdout instead of text.")
    boolean json;
  }

  @CommandLine.Command(name = "audit",
      description = "The auditor of the sample bank's PostgreSQL store (the database in BANK_DB_URL, else "
          + BankStorage.LOCAL_URL + ").",
      subcommands = {History.class, AsOfCommand.class, Rebuild.class, Verify.class, AnchorCommand.class,
          LogTransfer.Export.class, LogTransfer.Import.class, LogTransfer.Archive.class, LogTransfer.Restore.class,
          LogTransfer.VerifyArchives.class},
      footer = {"", "Exit status: 0 ok (verify: nothing found); 1 verify found problems; 2 usage error or bad "
          + "input; 3 database unreachable or no event store in the schema; 4 stored data that cannot be read."})
  static final class Root implements Callable<Integer> {
    final Map<String, String> environment;
    final PrintStream out;
    final PrintStream err;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @Spec
    CommandSpec spec;

    Root(Map<String, String> environment, PrintStream out, PrintStream err) {
      this.environment = Map.copyOf(environment);
      this.out = out;
      this.err = err;
    }

    @Override
    public Integer call() {
      throw new ParameterException(spec.commandLine(),
          "no command given; expected history, as-of, rebuild, verify, anchor, export, import, archive, restore or "
              + "verify-archives");
    }

    /** A command of {@code name} with the common options of this command and of the subcommand. */
    Command command(String name, Common own) {
      Command c = new Command();
      c.name = name;
      c.schema = own.schema != null ? own.schema : common.schema != null ? common.schema : BankStorage.DEMO_SCHEMA;
      c.json = own.json || common.json;
      return c;
    }

    int execute(Command command) {
      return AuditMain.execute(command, environment, out, err);
    }
  }

  @CommandLine.Command(name = "history",
      description = "Every event of the account with its version, log position, recorded-at time, actor, "
          + "correlation id, type and payload.")
  static final class History implements Callable<Integer> {
    @ParentCommand
    Root root;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @Parameters(paramLabel = "ACCOUNT", description = "The account's id, such as 1001.")
    String account;

    @Override
    public Integer call() {
      Command c = root.command("history", common);
      c.account = account;
      return root.execute(c);
    }
  }

  @CommandLine.Command(name = "as-of",
      description = "The account's state after a version, or made of its events at or before a log position, "
          + "or recorded at or before a time, and the events that led there.")
  static final class AsOfCommand implements Callable<Integer> {
    @ParentCommand
    Root root;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @Parameters(paramLabel = "ACCOUNT", description = "The account's id, such as 1001.")
    String account;

    // Optional for picocli, which would otherwise refuse "as-of --help"; call() requires one.
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Point point;

    @Spec
    CommandSpec spec;

    /** Exactly one of the three. */
    static final class Point {
      @Option(names = "--version", paramLabel = "V", converter = Cli.Count.class, description = "A version.")
      Long version;

      @Option(names = "--position", paramLabel = "P", converter = Cli.Count.class, description = "A log position.")
      Long position;

      @Option(names = "--time", paramLabel = "ISO-8601", converter = Time.class,
          description = "A time with an offset, such as 2025-01-31T12:00:00Z.")
      Instant time;
    }

    @Override
    public Integer call() {
      if (point == null) {
        throw new ParameterException(spec.commandLine(),
            "as-of needs exactly one of --version V, --position P or --time ISO-8601");
      }
      Command c = root.command("as-of", common);
      c.account = account;
      if (point.version != null) {
        c.asOf = AsOf.version(point.version);
        c.asOfText = "version " + point.version;
      } else if (point.position != null) {
        c.asOf = AsOf.position(point.position);
        c.asOfText = "position " + point.position;
      } else {
        c.asOf = AsOf.time(point.time);
        c.asOfText = "time " + point.time;
      }
      return root.execute(c);
    }
  }

  @CommandLine.Command(name = "rebuild",
      description = {"Rebuilds one read model from the start, or replays it from the event at a log position, "
          + "with progress on stderr. When a running bank owns the projector, the reset reaches it and the "
          + "command waits for it to catch up."})
  static final class Rebuild implements Callable<Integer> {
    @ParentCommand
    Root root;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @Parameters(paramLabel = "VIEW", converter = View.class,
        description = "balances, daily_totals, statements or transfers.")
    String view;

    @Option(names = "--from-position", paramLabel = "P", converter = Cli.Count.class,
        description = "Replay from the event at this log position (default: rebuild from the start).")
    long fromPosition;

    @Override
    public Integer call() {
      Command c = root.command("rebuild", common);
      c.view = view;
      c.fromPosition = fromPosition;
      return root.execute(c);
    }
  }

  @CommandLine.Command(name = "verify",
      description = {"Recomputes every stream's hash chain, replays every account from its events alone, checks "
          + "that money is conserved, that the balances read model agrees with the replay and that every "
          + "stored snapshot matches its stream; with --anchor, that every anchored stream head is still in "
          + "place. Progress on stderr."})
  static final class Verify implements Callable<Integer> {
    @ParentCommand
    Root root;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @ArgGroup(exclusive = false)
    AnchorCheck anchor;

    /** An anchor to compare with, and the key that checks its signature. */
    static final class AnchorCheck {
      @Option(names = "--anchor", paramLabel = "FILE", required = true,
          description = "An anchor written by the anchor command.")
      Path file;

      @Option(names = "--public-key", paramLabel = "KEY",
          description = "Ed25519 public key (X.509 PEM or DER) that checks the anchor's signature first.")
      Path publicKey;
    }

    @Override
    public Integer call() {
      Command c = root.command("verify", common);
      if (anchor != null) {
        c.anchorFile = Optional.of(anchor.file);
        c.publicKey = Optional.ofNullable(anchor.publicKey);
      }
      return root.execute(c);
    }
  }

  @CommandLine.Command(name = "anchor",
      description = "Writes an anchor of the log to FILE: the log position and every stream's head with a "
          + "digest over them. Keep it away from the database.")
  static final class AnchorCommand implements Callable<Integer> {
    @ParentCommand
    Root root;

    @Mixin
    Common common = new Common();

    @Mixin
    Cli.Help help;

    @Parameters(paramLabel = "FILE", description = "Where to write the anchor.")
    Path file;

    @Option(names = "--private-key", paramLabel = "KEY",
        description = "Ed25519 private key (PKCS#8 PEM or DER) that signs the anchor.")
    Path privateKey;

    @Override
    public Integer call() {
      Command c = root.command("anchor", common);
      c.anchorOut = file;
      c.privateKey = Optional.ofNullable(privateKey);
      return root.execute(c);
    }
  }

  /** One of the read models {@link Bank#READ_MODELS} names. */
  static final class View implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!Bank.READ_MODELS.containsKey(value)) {
        throw new TypeConversionException("unknown view '" + value + "'; expected one of "
            + String.join(", ", new TreeSet<>(Bank.READ_MODELS.keySet())));
      }
      return value;
    }
  }

  /** An ISO-8601 time with an offset. */
  static final class Time implements ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e) {
        try {
          return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e2) {
          throw new TypeConversionException("bad time '" + value + "': expected ISO-8601 with an offset, such as "
              + "2025-01-31T12:00:00Z or 2025-01-31T13:00:00+01:00");
        }
      }
    }
  }

  /** Runs the commands against an open store. */
  private static final class Auditor {
    private final PostgresEventStore store;
    private final Command command;
    private final Optional<AuditAnchor> anchor;
    private final PrintStream out;
    private final PrintStream err;
    private final ObjectMapper mapper;

    Auditor(PostgresEventStore store, Command command, Optional<AuditAnchor> anchor, PrintStream out,
        PrintStream err) {
      this.store = store;
      this.command = command;
      this.anchor = anchor;
      this.out = out;
      this.err = err;
      this.mapper = Account.REGISTRY.objectMapper().copy()
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    /** A repository that replays from events alone: no snapshots, no cache. */
    private AggregateRepository<AccountCommand, AccountState, AccountEvent> replayer() {
      return AggregateRepository.builder(Account.TYPE, store).cacheSize(0).build();
    }

    private StreamId existingAccount(String id) {
      StreamId streamId;
      try {
        streamId = Account.TYPE.streamId(id);
      } catch (IllegalArgumentException e) {
        throw new UsageException("bad account id '" + id + "': " + e.getMessage());
      }
      if (store.streamVersion(streamId) == 0) {
        throw new UsageException("account '" + id + "' not found in schema " + store.schema());
      }
      return streamId;
    }

    int history() {
      StreamId streamId = existingAccount(command.account);
      List<RecordedEvent> events = new ArrayList<>();
      long from = 1;
      while (true) {
        List<RecordedEvent> page = store.readStream(streamId, from, PAGE);
        events.addAll(page);
        if (page.size() < PAGE) {
          break;
        }
        from = page.get(page.size() - 1).version() + 1;
      }
      if (command.json) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("schema", store.schema());
        doc.put("account", command.account);
        doc.put("stream", streamId.toString());
        doc.set("events", eventsJson(events));
        printJson(doc);
      } else {
        out.printf(Locale.ROOT, "Account %s (stream %s): %,d events%n", command.account, streamId, events.size());
        printEvents(events);
      }
      return OK;
    }

    int asOf() {
      StreamId streamId = existingAccount(command.account);
      if (command.asOf instanceof AsOf.Version v) {
        long last = store.streamVersion(streamId);
        if (v.version() > last) {
          throw new UsageException("bad version '" + v.version() + "': account " + command.account
              + " has versions 0 to " + last);
        }
      }
      AggregateHistory<AccountState> history;
      try (AggregateRepository<AccountCommand, AccountState, AccountEvent> repository = replayer()) {
        history = repository.history(command.account, command.asOf);
      }
      AggregateState<AccountState> state = history.state();
      if (command.json) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("schema", store.schema());
        doc.put("account", command.account);
        doc.put("stream", streamId.toString());
        ObjectNode at = doc.putObject("asOf");
        if (command.asOf instanceof AsOf.Version v) {
          at.put("version", v.version());
        } else if (command.asOf instanceof AsOf.Position p) {
          at.put("position", p.position());
        } else {
          at.put("time", ((AsOf.Time) command.asOf).time().toString());
        }
        doc.put("version", state.version());
        doc.set("state", mapper.valueToTree(state.state()));
        doc.set("events", eventsJson(history.events()));
        printJson(doc);
      } else {
        out.printf(Locale.ROOT, "Account %s as of %s: version %d, %s%n", command.account, command.asOfText,
            state.version(), describe(state.state()));
        out.printf(Locale.ROOT, "Events that led there: %,d%n", history.events().size());
        printEvents(history.events());
      }
      return OK;
    }

    int rebuild() {
      Projector projector = Bank.READ_MODELS.get(command.view);
      String name = projector.name();
      long head = store.headPosition();
      if (command.fromPosition > head) {
        throw new UsageException("bad position '" + command.fromPosition + "': the log's positions go from 1 to " + head);
      }
      long started = System.nanoTime();
      long processed;
      boolean byThisCommand = true;
      try (ProjectionRunner runner = ProjectionRunner.builder(store)
          .nodeId("audit-" + ProcessHandle.current().pid())
          .projector(projector)
          .installSchema(true)
          .rebuildProgress(p -> err.println(PREFIX + p), Duration.ofSeconds(1))
          .build()) {
        try {
          if (command.fromPosition == 0) {
            runner.reset(name, LogCursor.START);
          } else {
            runner.replayFrom(name, command.fromPosition);
          }
        } catch (IllegalArgumentException e) {
          throw new UsageException("bad position '" + command.fromPosition + "': " + firstLine(e.getMessage()));
        } catch (IllegalStateException neverBuilt) {
          // No checkpoint yet: the catch-up below builds the view from the start.
          if (command.fromPosition != 0) {
            throw new UsageException("view " + name + " was never built in schema " + store.schema()
                + "; rebuild it from the start (without --from-position) first");
          }
        }
        try {
          processed = runner.catchUp(name);
        } catch (IllegalStateException ownedElsewhere) {
          // A running bank owns the projector: the reset reached it, and it replays on its own threads.
          byThisCommand = false;
          err.println(PREFIX + "projector " + name + " runs elsewhere (" + firstLine(ownedElsewhere.getMessage())
              + "); waiting for it to catch up");
          if (!runner.awaitCaughtUp(name, REBUILD_WAIT)) {
            err.println(PREFIX + "projector " + name + " did not catch up within " + REBUILD_WAIT.toMinutes() + " min");
            return PROBLEMS;
          }
          processed = runner.status(name).stream().mapToLong(s -> s.work().processedEvents()).sum();
        }
        ProjectionStatus.Position status = runner.status(name).get(0).position();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (command.json) {
          ObjectNode doc = mapper.createObjectNode();
          doc.put("schema", store.schema());
          doc.put("view", name);
          doc.put("fromPosition", command.fromPosition);
          doc.put("eventsProcessed", processed);
          doc.put("seconds", seconds);
          doc.put("position", status.cursor().position());
          doc.put("headPosition", status.headPosition());
          doc.put("rebuiltBy", byThisCommand ? "this command" : "the node that owns the projector");
          printJson(doc);
        } else {
          out.printf(Locale.ROOT, "Rebuilt view %s in schema %s from %s: %,d events processed in %.2f s%s; "
                  + "now at position %,d of head %,d%n", name, store.schema(),
              command.fromPosition == 0 ? "the start" : "position " + command.fromPosition, processed, seconds,
              byThisCommand ? "" : " by the node that owns it", status.cursor().position(), status.headPosition());
        }
        return OK;
      }
    }

    int anchor(Optional<PrivateKey> key) {
      ObjectNode doc = command.json ? mapper.createObjectNode() : null;
      Anchor taken;
      try {
        taken = store.integrityVerifier().anchor();
      } catch (AnchorException e) {
        // Not the command line's fault: a stored row that the store never writes.
        return unreadable(e, err);
      }
      AuditAnchor.export(taken, command.anchorOut, key, doc, out);
      if (doc != null) {
        printJson(doc);
      }
      return OK;
    }

    int verify() {
      IntegrityVerifier verifier = store.integrityVerifier();
      Report chains = verifyChains(verifier, err);
      Optional<Report> anchored = anchor.map(a -> a.compare(verifier));
      SnapshotVerifier.Report snapshots = store.snapshotVerifier().verify(Account.TYPE);

      Map<String, AccountState> replayed = new TreeMap<>();
      Map<String, String> unreadable = new TreeMap<>();
      Map<String, Long> archived = new TreeMap<>();
      // Account streams whose opening balance does not follow from their previous year's close.
      Map<String, String> carries = new TreeMap<>();
      try (AggregateRepository<AccountCommand, AccountState, AccountEvent> repository = replayer()) {
        Map<String, Long> tombstones = archivedAccounts();
        for (String id : accountIds()) {
          Long archivedAt = tombstones.get(id);
          if (archivedAt != null) {
            // Its events left the table; the chain verification checked its tombstone against its stream row.
            archived.put(id, archivedAt);
            continue;
          }
          try {
            AccountState state = repository.load(id).state();
            broughtForward(id, tombstones).ifPresent(why -> carries.put(id, why));
            // A closed year's balance went on to the next year's stream, counted there.
            if (state.status() != AccountState.Status.CARRIED_FORWARD
                && replayed.put(Account.accountOf(id), state) != null) {
              carries.merge(id, "account " + Account.accountOf(id) + " has another stream whose books are open",
                  (a, b) -> a + "; " + b);
            }
          } catch (StoreUnavailableException e) {
            throw e;
          } catch (AnnalsException | IllegalArgumentException e) {
            unreadable.put(id, firstLine(e.getMessage()));
          }
        }
      }
      MoneyAudit.Report money;
      try {
        money = MoneyAudit.check(store, replayed.values());
      } catch (PersonalDataException e) {
        // A copy of the log without its subject keys (an import) proves its chains, not its money.
        return moneyUnreadable(chains, firstLine(e.getMessage()));
      }
      Optional<Map<String, Money>> projected = hasReadModel()
          ? Optional.of(BalancesProjection.read(store)) : Optional.empty();
      // A view that is merely behind the log (its bank stopped) is not wrong: say so, compare nothing.
      long behind = projected.isPresent() ? readModelLag() : 0;
      Optional<Boolean> readModelAgrees = behind > 0 ? Optional.empty()
          : projected.map(p -> MoneyAudit.balancesAgree(p, replayed, money));
      boolean ok = chains.intact() && anchored.map(Report::intact).orElse(true) && unreadable.isEmpty()
          && carries.isEmpty()
          && money.conserved() && money.stranded().isEmpty() && readModelAgrees.orElse(true)
          && snapshots.intact();

      if (command.json) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("schema", store.schema());
        doc.put("ok", ok);
        chainsJson(chains, doc);
        anchor.ifPresent(a -> a.json(anchored.get(), doc));
        snapshotsJson(doc.putObject("snapshots"), snapshots);
        ObjectNode replay = doc.putObject("replay");
        replay.put("accounts", replayed.size() + unreadable.size());
        ArrayNode archivedJson = replay.putArray("archived");
        archived.forEach((id, version) -> archivedJson.addObject().put("stream", id).put("version", version));
        ArrayNode carriesJson = replay.putArray("broughtForward");
        carries.forEach((id, why) -> carriesJson.addObject().put("stream", id).put("error", why));
        ArrayNode failures = replay.putArray("unreadable");
        unreadable.forEach((id, why) -> failures.addObject().put("account", id).put("error", why));
        ObjectNode conserved = doc.putObject("money");
        conserved.put("conserved", money.conserved());
        ArrayNode currencies = conserved.putArray("currencies");
        for (MoneyAudit.Line line : money.lines()) {
          currencies.addObject().put("currency", line.currency().getCurrencyCode())
              .put("balances", line.balances()).put("deposited", line.deposited())
              .put("withdrawn", line.withdrawn()).put("inTransit", line.inTransit())
              .put("broughtForward", line.broughtForward()).put("holds", line.holds());
        }
        ArrayNode stranded = conserved.putArray("strandedTransfers");
        for (MoneyAudit.Stranded t : money.stranded()) {
          stranded.addObject().put("transfer", t.transferId()).put("status", t.status().name())
              .put("amount", t.outstanding().amount()).put("currency", t.outstanding().currency().getCurrencyCode());
        }
        ObjectNode readModel = doc.putObject("readModel");
        readModel.put("present", projected.isPresent());
        readModel.put("eventsBehind", behind);
        readModelAgrees.ifPresent(a -> readModel.put("agrees", a));
        ArrayNode accounts = readModel.putArray("accounts");
        projected.ifPresent(p -> balanceRows(p, replayed).forEach(r -> {
          ObjectNode row = accounts.addObject().put("account", r.account);
          row.put("projected", r.projected == null ? null : r.projected.toString());
          row.put("replayed", r.replayed == null ? null : r.replayed.toString());
          row.put("agrees", r.agrees());
        }));
        printJson(doc);
      } else {
        archived.forEach((id, version) -> out.println("Account stream " + id + " is archived at version " + version
            + " (tombstone checked)"));
        carries.forEach((id, why) -> out.println("Account stream " + id + " does not carry on its previous year: " + why));
        printVerify(chains, anchored, snapshots, replayed, unreadable, money, projected, behind, readModelAgrees, ok);
      }
      return ok ? OK : PROBLEMS;
    }

    private void printVerify(Report chains, Optional<Report> anchored,
        SnapshotVerifier.Report snapshots, Map<String, AccountState> replayed,
        Map<String, String> unreadable, MoneyAudit.Report money, Optional<Map<String, Money>> projected, long behind,
        Optional<Boolean> readModelAgrees, boolean ok) {
      printChains(store.schema(), chains, out);
      anchor.ifPresent(a -> a.print(anchored.get(), out));
      printSnapshots(snapshots);
      unreadable.forEach((id, why) -> out.println("Account " + id + " cannot be replayed: " + why));
      for (MoneyAudit.Line line : money.lines()) {
        out.printf(Locale.ROOT, "  %s: replayed balances %s %s %sdeposits %s - withdrawals %s%s%n",
            line.currency().getCurrencyCode(), line.balances().toPlainString(), line.holds() ? "=" : "!=",
            line.broughtForward().signum() == 0 ? ""
                : "brought forward from archived years " + line.broughtForward().toPlainString() + " + ",
            line.deposited().toPlainString(), line.withdrawn().toPlainString(), line.inTransit().signum() == 0 ? ""
                : " - in transit " + line.inTransit().toPlainString());
      }
      out.println("Money conserved: " + (money.conserved() ? "yes" : "NO"));
      for (MoneyAudit.Stranded t : money.stranded()) {
        boolean debited = t.outstanding().amount().signum() > 0;
        out.printf(Locale.ROOT, "  transfer %s (%s): %s %s%n", t.transferId(),
            t.status() == TransferState.Status.NONE ? "never requested" : t.status().name().toLowerCase(Locale.ROOT),
            debited ? t.outstanding() : t.outstanding().negate(),
            debited ? "debited but neither credited nor refunded" : "more credited or refunded than debited");
      }
      out.println("Money in finished transfers: " + (money.stranded().isEmpty() ? "none"
          : "IN " + money.stranded().size() + " TRANSFER" + (money.stranded().size() == 1 ? "" : "S")));
      if (projected.isEmpty()) {
        out.println("Balances read model: not present in schema " + store.schema() + ", not checked");
      } else if (behind > 0) {
        out.printf(Locale.ROOT, "Balances read model: %,d events behind the log, not compared; start the bank or "
            + "run 'audit rebuild balances', then verify again%n", behind);
      } else {
        if (!readModelAgrees.orElse(true)) {
          for (BalanceRow r : balanceRows(projected.get(), replayed)) {
            if (!r.agrees()) {
              out.printf(Locale.ROOT, "  account %s: read model %s, replay %s%n", r.account,
                  r.projected == null ? "no row" : r.projected, r.replayed == null ? "no account" : r.replayed);
            }
          }
        }
        out.printf(Locale.ROOT, "Balances read model agrees with a replay of %d accounts: %s%n", replayed.size(),
            readModelAgrees.orElse(false) ? "yes" : "NO");
      }
      out.println(ok ? "Verdict: OK" : "Verdict: PROBLEMS FOUND");
    }

    private void printSnapshots(SnapshotVerifier.Report snapshots) {
      long bad = snapshots.findings().stream().map(f -> f.streamId() + "@" + f.version()).distinct().count();
      if (bad == 0) {
        out.printf(Locale.ROOT, "Snapshots: %,d checked, each matches a replay of its stream%n",
            snapshots.snapshotsChecked());
        return;
      }
      out.printf(Locale.ROOT, "Snapshots: %,d of %,d do NOT match their stream%n", bad, snapshots.snapshotsChecked());
      for (SnapshotVerifier.Finding f : snapshots.findings()) {
        out.printf(Locale.ROOT, "  stream %s, version %d: %s (%s)%n", f.streamId(), f.version(), f.kind(), f.detail());
      }
    }

    private static void snapshotsJson(ObjectNode node, SnapshotVerifier.Report snapshots) {
      node.put("intact", snapshots.intact());
      node.put("checked", snapshots.snapshotsChecked());
      node.put("skipped", snapshots.snapshotsSkipped());
      ArrayNode findings = node.putArray("findings");
      for (SnapshotVerifier.Finding f : snapshots.findings()) {
        findings.addObject().put("stream", f.streamId().toString()).put("version", f.version())
            .put("kind", f.kind().name()).put("detail", f.detail());
      }
    }

    private int moneyUnreadable(Report chains, String why) {
      if (command.json) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("schema", store.schema());
        doc.put("ok", false);
        chainsJson(chains, doc);
        doc.putObject("money").put("error", why);
        printJson(doc);
      } else {
        printChains(store.schema(), chains, out);
        out.println("Money cannot be audited: " + why);
        out.println("Verdict: PROBLEMS FOUND");
      }
      return PROBLEMS;
    }

    /** The archived account streams (by repository id) and the versions their tombstones keep. */
    private Map<String, Long> archivedAccounts() {
      String prefix = Account.TYPE.category() + "-";
      return store.withHandle("list the archived accounts", h -> {
        Map<String, Long> archived = new TreeMap<>();
        h.createQuery("SELECT stream_id, version FROM " + store.schema() + ".archived_streams "
                + "WHERE starts_with(stream_id, :prefix)")
            .bind("prefix", prefix)
            .map((rs, c) -> Map.entry(rs.getString(1).substring(prefix.length()), rs.getLong(2)))
            .forEach(e -> archived.put(e.getKey(), e.getValue()));
        return archived;
      });
    }

    /**
     * Why the balance that stream {@code id} starts with is not the one its previous year closed
     * with, if it is not. A later year's stream must start with {@code BalanceCarriedForward} of
     * its own account, naming the stream it carries on from and the version of that stream's
     * {@code YearClosed}: while that stream is in the log, its last event must be that
     * {@code YearClosed}, at that version, of the same balance and naming this stream; once it is
     * archived, its tombstone must keep that version (the archive file proves the rest:
     * {@code verify-archives}).
     */
    private Optional<String> broughtForward(String id, Map<String, Long> tombstones) {
      StreamId stream = StreamId.of(Account.TYPE.category(), id);
      List<RecordedEvent> first = store.readStream(stream, 1, 1);
      if (first.isEmpty() || !(first.get(0).payload() instanceof AccountEvent.BalanceCarriedForward carried)) {
        return Account.periodOf(id) == 0 ? Optional.empty()
            : Optional.of("a later year's stream that does not start with the balance brought forward");
      }
      String account = Account.accountOf(id);
      Optional<StreamId> from = BookClosing.carriedFrom(first.get(0));
      if (from.isEmpty() || !from.get().category().equals(Account.TYPE.category())
          || !Account.accountOf(from.get().id()).equals(account) || !carried.account().equals(account)) {
        return Optional.of("its balance brought forward does not come from an earlier stream of account " + account);
      }
      String version = first.get(0).metadata().extra().get(BookClosing.CARRIED_FROM_VERSION);
      Long archivedAt = tombstones.get(from.get().id());
      if (archivedAt != null) {
        return Long.toString(archivedAt).equals(version) ? Optional.empty()
            : Optional.of("its balance was brought forward from " + from.get() + " at version " + version
                + ", but that stream's tombstone keeps version " + archivedAt);
      }
      long closedAt;
      try {
        closedAt = Long.parseLong(version);
      } catch (NumberFormatException e) {
        return Optional.of("its balance brought forward names no version of " + from.get());
      }
      List<RecordedEvent> closing = closedAt < 1 ? List.of() : store.readStream(from.get(), closedAt, 2);
      boolean matches = closing.size() == 1 && closing.get(0).payload() instanceof AccountEvent.YearClosed closed
          && closed.balance().equals(carried.balance())
          && stream.toString().equals(closing.get(0).metadata().extra().get(BookClosing.CONTINUED_IN));
      return matches ? Optional.empty() : Optional.of("its balance brought forward, " + carried.balance()
          + ", is not what " + from.get() + " closed with at version " + version);
    }

    private List<String> accountIds() {
      String prefix = Account.TYPE.category() + "-";
      return store.withHandle("list the accounts", h -> h.createQuery("SELECT stream_id FROM " + store.schema()
              + ".streams WHERE category = :category ORDER BY stream_id")
          .bind("category", Account.TYPE.category())
          .mapTo(String.class)
          .map(s -> s.substring(prefix.length()))
          .list());
    }

    /** How many events the balances projector has yet to process; 0 when that cannot be told. */
    private long readModelLag() {
      try (ProjectionRunner runner = ProjectionRunner.builder(store).nodeId("audit-verify")
          .projector(BalancesProjection.PROJECTOR).installSchema(false).build()) {
        return runner.status(BalancesProjection.NAME).stream().mapToLong(s -> s.position().lagEvents()).sum();
      } catch (RuntimeException e) {
        return 0;
      }
    }

    private boolean hasReadModel() {
      return store.withHandle("look for the balances view", h -> h.createQuery("SELECT to_regclass(:name) IS NOT NULL")
          .bind("name", store.schema() + "." + BalancesProjection.NAME)
          .mapTo(Boolean.class)
          .one());
    }

    private List<BalanceRow> balanceRows(Map<String, Money> projected, Map<String, AccountState> replayed) {
      List<BalanceRow> rows = new ArrayList<>();
      TreeSet<String> ids = new TreeSet<>(projected.keySet());
      ids.addAll(replayed.keySet());
      for (String id : ids) {
        AccountState state = replayed.get(id);
        rows.add(new BalanceRow(id, projected.get(id), state == null ? null : state.balance()));
      }
      return rows;
    }

    private void printEvents(List<RecordedEvent> events) {
      for (RecordedEvent e : events) {
        out.printf(Locale.ROOT, "  v%-5d #%-7d %s  actor %s  correlation %s  %s %s%n", e.version(), e.position(),
            e.recordedAt(), orDash(e.metadata().actor()), orDash(e.metadata().correlationId()), e.type(),
            json(e.payload()));
      }
    }

    private ArrayNode eventsJson(List<RecordedEvent> events) {
      ArrayNode array = mapper.createArrayNode();
      for (RecordedEvent e : events) {
        ObjectNode node = array.addObject();
        node.put("version", e.version());
        node.put("position", e.position());
        node.put("recordedAt", e.recordedAt().toString());
        node.put("actor", e.metadata().actor());
        node.put("correlationId", e.metadata().correlationId());
        node.put("type", e.type());
        node.set("payload", mapper.valueToTree(e.payload()));
      }
      return array;
    }

    private String json(Object value) {
      try {
        return mapper.writeValueAsString(value);
      } catch (JsonProcessingException e) {
        return String.valueOf(value);
      }
    }

    private void printJson(ObjectNode doc) {
      try {
        out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write the JSON report: " + e.getMessage(), e);
      }
    }

    private static String orDash(String value) {
      return value == null || value.isEmpty() ? "-" : value;
    }

    private static String describe(AccountState s) {
      if (s.status() == AccountState.Status.NONE) {
        return "not opened yet";
      }
      return s.status().name().toLowerCase(Locale.ROOT) + ", owner " + s.owner() + ", balance " + s.balance()
          + ", overdraft limit " + s.overdraftLimit();
    }
  }

  private record BalanceRow(String account, Money projected, Money replayed) {
    boolean agrees() {
      return projected != null && replayed != null && projected.currency().equals(replayed.currency())
          && projected.compareTo(replayed) == 0;
    }
  }
}

package dev.annals.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.bank.domain.Account;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.StoredEvent;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Account events as Server-Sent Events: the events of one account, or of every account. Each
 * SSE message has the event's global log position as its {@code id}, the name {@code account}
 * (the event's own type is in the data, so one listener sees every kind, including kinds added
 * later), and the event as JSON in {@code data}. A client that reconnects with the standard
 * {@code Last-Event-ID} header, or asks with {@code ?after=P}, gets exactly the events after
 * position {@code P}; browsers' {@code EventSource} does this by itself.
 *
 * <h2>Why the live part reads the log with a {@link LogReader}</h2>
 * Positions are handed out when a transaction inserts, not when it commits, so "events with a
 * position above P" is not a safe way to follow the log: an event at P-1 may commit after P was
 * sent and would be skipped forever. The store's gap-safe reader orders by (transaction, position)
 * and only returns events of finished transactions, so nothing appears behind a place it passed.
 * Within one stream that order is version order, which is why an account's history can be read
 * by version and then continued live from the reader's "now" cursor without a gap: the history
 * read happens after that cursor is taken, and events it already sent are skipped by version.
 *
 * <p>It is the one class of the bank that serves feeds, so that a library component for SSE and
 * long polling can replace it whole; {@link BankApi} only parses the request and hands it over.
 *
 * <p>Each open feed holds one thread of the server's pool and runs its own reader; the reader
 * wakes at once on appends in this process and within the store's notify interval on appends
 * from other nodes. An account's feed reads every account event and keeps its own, which is
 * simple and fine for a sample; a busy system would fan out from one reader instead.
 *
 * <h2>Slots of clients that went away</h2>
 * A client that closes its connection is noticed only when a write to it fails, and a silent
 * feed writes once per heartbeat. So when every slot is taken, a new request first writes a
 * comment line to each open feed: a feed whose write fails gives up its slot at once (and its
 * thread is interrupted to end it), and the request takes the slot. TCP reports a closed peer
 * on the second write after the close, so a client that closed a moment ago may still cost
 * one 503 before its slot is free.
 *
 * <p>Thread-safe: {@link #serve} is called on many threads at once, each for its own exchange.
 */
final class EventFeed {

  /** The SSE event name of every message. */
  static final String EVENT_NAME = "account";

  private static final LogFilter ACCOUNTS = LogFilter.categories(Account.TYPE.category());
  private static final int PAGE = 200;
  private static final Duration MIN_POLL = Duration.ofMillis(10);
  private static final Duration MAX_POLL = Duration.ofSeconds(1);
  /** How long a browser waits before reconnecting after the connection drops. */
  private static final int RETRY_MILLIS = 2000;

  private final PostgresEventStore store;
  private final ObjectMapper json;
  private final Duration heartbeat;
  private final Semaphore slots;
  private final int maxFeeds;
  private final Set<Follower> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param json writes the event payloads
   * @param heartbeat how long a feed may stay silent before it sends a comment line, so proxies
   *     keep it open and a vanished client is noticed
   * @param maxFeeds how many feeds may be open at once; each holds a thread
   */
  EventFeed(PostgresEventStore store, ObjectMapper json, Duration heartbeat, int maxFeeds) {
    this.store = Objects.requireNonNull(store, "store must not be null");
    this.json = Objects.requireNonNull(json, "json must not be null");
    if (heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException("heartbeat must be positive, was " + heartbeat);
    }
    if (maxFeeds < 1) {
      throw new IllegalArgumentException("maxFeeds must be 1 or more, was " + maxFeeds);
    }
    this.heartbeat = heartbeat;
    this.maxFeeds = maxFeeds;
    this.slots = new Semaphore(maxFeeds);
  }

  /**
   * Where a feed starts.
   *
   * @param account the account whose events to send, or null for every account
   * @param after send events after this log position; null to start with the account's first
   *     event (account feed) or with the next event appended (feed of every account)
   */
  record Request(String account, Long after) {}

  /**
   * Checks {@code request} and serves the feed on {@code response} until the client goes away,
   * the server stops or the thread is interrupted. Errors found before the response started
   * are thrown as {@link BankApi.ApiException}, for the caller to answer with a problem.
   *
   * @throws BankApi.ApiException 503 when {@code maxFeeds} feeds are open, 400 when the feed of
   *     every account is asked to resume after a position that holds no event
   */
  void serve(HttpServletResponse response, Request request) throws IOException {
    if (!slots.tryAcquire() && !(probeOpenFeeds() && slots.tryAcquire())) {
      throw new BankApi.ApiException(503, "too_many_feeds", maxFeeds + " event feeds are open, "
          + "the most this server serves; close one or try again later");
    }
    Follower follower = null;
    try {
      follower = start(request);
      response.setStatus(200);
      response.setContentType("text/event-stream;charset=utf-8");
      response.setHeader("Cache-Control", "no-cache");
      // No length: the response has no end until the feed does.
      OutputStream out = response.getOutputStream();
      follower.run(out);
    } catch (InterruptedException e) {
      // Only this class interrupts a feed's thread (probe, close), to end that feed: done.
    } finally {
      if (follower == null) {
        slots.release();
      } else {
        follower.end();
      }
      // The thread is Tomcat's and serves other requests next: an interrupt meant for this feed,
      // arrived after its loop ended, must not fail them.
      Thread.interrupted();
    }
  }

  /**
   * Writes a comment line to every open feed; see the class comment.
   *
   * @return whether a feed gave up its slot
   */
  private boolean probeOpenFeeds() {
    boolean freed = false;
    for (Follower follower : open) {
      freed |= follower.probe();
    }
    return freed;
  }

  /** Ends every feed at its next wake-up, and the waits of those waiting for events now. */
  void close() {
    closed = true;
    for (Follower follower : open) {
      follower.interrupt();
    }
  }

  private Follower start(Request request) {
    LogReader reader = store.logReader();
    if (request.account() == null) {
      LogCursor from = request.after() == null ? now(reader) : cursorAfter(reader, request.after());
      return new Follower(reader, from, null, 0);
    }
    // The cursor is taken before the history is read: see the class comment.
    LogCursor now = now(reader);
    StreamId stream = Account.TYPE.streamId(request.account());
    long after = request.after() == null ? 0 : request.after();
    return new Follower(reader, now, stream, after);
  }

  /** Just after everything readers can see now; what commits later comes after it. */
  private static LogCursor now(LogReader reader) {
    long safe = reader.head().safeHeadPosition();
    return safe == 0 ? LogCursor.START : reader.cursorAfter(safe);
  }

  private static LogCursor cursorAfter(LogReader reader, long position) {
    if (position == 0) {
      return LogCursor.START;
    }
    try {
      return reader.cursorAfter(position);
    } catch (IllegalArgumentException e) {
      throw new BankApi.ApiException(400, "bad_position", "cannot resume the feed after position "
          + position + ": " + e.getMessage() + "; use an id the feed sent, or 0 for the whole log");
    }
  }

  /** One open feed: first an account's history (if any), then the live log. */
  private final class Follower {
    private final LogReader reader;
    private final StreamId stream;
    private final long after;
    private LogCursor cursor;
    private long sentVersion;
    private long lastWrite;
    private Duration poll = MIN_POLL;
    /** Held while writing to the client, never while waiting for events. */
    private final ReentrantLock writing = new ReentrantLock();
    /** Set while {@link #run} writes to a client; guarded by this. */
    private OutputStream out;
    private Thread thread;
    /** Whether the slot was given back; guarded by this. */
    private boolean ended;

    Follower(LogReader reader, LogCursor cursor, StreamId stream, long after) {
      this.reader = reader;
      this.cursor = cursor;
      this.stream = stream;
      this.after = after;
    }

    void run(OutputStream out) throws IOException, InterruptedException {
      synchronized (this) {
        this.out = out;
        this.thread = Thread.currentThread();
      }
      open.add(this);
      write(out, "retry: " + RETRY_MILLIS + "\n\n");
      if (stream != null) {
        sendHistory(out);
      }
      while (!closed && !Thread.currentThread().isInterrupted()) {
        LogBatch batch = reader.read(cursor, PAGE, ACCOUNTS);
        for (StoredEvent stored : batch.events()) {
          if (stream == null || (stored.streamId().equals(stream) && stored.version() > sentVersion)) {
            send(out, stored.decode(store.registry()));
          }
        }
        cursor = batch.next();
        if (!batch.isEmpty()) {
          continue;
        }
        long left = heartbeat.toNanos() - (System.nanoTime() - lastWrite);
        if (left <= 0) {
          // A comment line: ignored by clients; writing it finds a client that went away.
          write(out, ": heartbeat\n\n");
          continue;
        }
        // Events committed behind an older open transaction (a projector's, say) become readable
        // when it ends, and that wakes nobody: poll, backing off, while there are any.
        if (reader.heldBackUpTo(Long.MAX_VALUE) > 0) {
          reader.awaitEvents(Duration.ofNanos(Math.min(left, poll.toNanos())));
          poll = poll.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : poll.multipliedBy(2);
        } else {
          poll = MIN_POLL;
          reader.awaitEvents(Duration.ofNanos(left));
        }
      }
    }

    private void sendHistory(OutputStream out) throws IOException {
      long from = 1;
      while (true) {
        List<RecordedEvent> page = store.readStream(stream, from, PAGE);
        for (RecordedEvent event : page) {
          if (event.position() > after) {
            send(out, event);
          } else {
            sentVersion = event.version();
          }
        }
        if (page.size() < PAGE) {
          return;
        }
        from = page.get(page.size() - 1).version() + 1;
      }
    }

    private void send(OutputStream out, RecordedEvent event) throws IOException {
      ObjectNode data = json.createObjectNode().put("account", event.streamId().id());
      data.setAll(BankApi.eventJson(json, event));
      // One data line: the JSON is written without line breaks.
      write(out, "id: " + event.position() + "\nevent: " + EVENT_NAME + "\ndata: "
          + json.writeValueAsString(data) + "\n\n");
      sentVersion = event.version();
    }

    private void write(OutputStream out, String block) throws IOException {
      writing.lock();
      try {
        out.write(block.getBytes(StandardCharsets.UTF_8));
        out.flush();
      } finally {
        writing.unlock();
      }
      lastWrite = System.nanoTime();
    }

    /**
     * Called from another request's thread: writes a comment line twice (the first write to a
     * closed peer is accepted, the second fails) and ends this feed if that fails.
     *
     * @return whether this feed ended and gave up its slot
     */
    boolean probe() {
      OutputStream target;
      synchronized (this) {
        if (ended || out == null) {
          return false;
        }
        target = out;
      }
      // A feed busy writing is alive, or will find out by itself that it is not.
      if (!writing.tryLock()) {
        return false;
      }
      try {
        for (int i = 0; i < 2; i++) {
          target.write(": ping\n\n".getBytes(StandardCharsets.UTF_8));
          target.flush();
        }
        return false;
      } catch (IOException e) {
        synchronized (this) {
          if (ended) {
            return false;
          }
          end();
          // The feed's thread may wait for events for up to a heartbeat; it has nobody to serve.
          thread.interrupt();
          return true;
        }
      } finally {
        writing.unlock();
      }
    }

    /** Wakes the feed's thread, so that it sees the feed is closed. */
    synchronized void interrupt() {
      if (thread != null && !ended) {
        thread.interrupt();
      }
    }

    /** Gives the slot back, once, whoever notices first that the feed is over. */
    synchronized void end() {
      if (!ended) {
        ended = true;
        open.remove(this);
        slots.release();
      }
    }
  }
}

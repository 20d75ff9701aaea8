package dev.annals.bank.streams;

import dev.annals.bank.streams.Alert.Pattern;
import dev.annals.bank.streams.Movement.Kind;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Finds the two fraud patterns in one account's movements, by event time, whatever order the
 * movements arrive in within the grace period:
 *
 * <ul>
 *   <li>three withdrawals refused within {@link BankStreams#REFUSALS_WITHIN} (first to third);</li>
 *   <li>a deposit, then within {@link BankStreams#DRAIN_WITHIN} a withdrawal or transfer out of at
 *       least {@link BankStreams#DRAIN_PERCENT}% of it.</li>
 * </ul>
 *
 * <p>Per account, the store keeps the refusals, deposits and outgoing movements still young
 * enough to take part in a pattern, and the latest event time seen. A movement older than that
 * time minus the grace period is late and ignored, as the windows ignore it. The movements that
 * formed an alert are taken out, so that each takes part in one alert at most, and a movement
 * seen twice (a redelivered event) counts once.
 */
final class PatternDetector implements Processor<String, Movement, String, Alert> {

  private static final System.Logger LOG = System.getLogger(PatternDetector.class.getName());

  private final String storeName;
  private final long graceMillis;
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, State> store;

  PatternDetector(String storeName, Duration grace) {
    this.storeName = storeName;
    this.graceMillis = grace.toMillis();
  }

  /** What the detector remembers of one account. */
  record State(long latest, List<Movement> refusals, List<Movement> deposits, List<Movement> outs,
      List<Movement> used) {

    static final State EMPTY = new State(Long.MIN_VALUE, List.of(), List.of(), List.of(), List.of());

    boolean seen(String eventId) {
      return contains(refusals, eventId) || contains(deposits, eventId) || contains(outs, eventId)
          || contains(used, eventId);
    }

    private static boolean contains(List<Movement> list, String eventId) {
      return list.stream().anyMatch(m -> m.eventId().equals(eventId));
    }
  }

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, Movement> record) {
    Movement m = record.value();
    if (m == null || record.key() == null) {
      return;
    }
    State s = store.get(record.key());
    if (s == null) {
      s = State.EMPTY;
    }
    if (s.latest() != Long.MIN_VALUE && m.time() < s.latest() - graceMillis) {
      LOG.log(System.Logger.Level.DEBUG, "movement " + m.eventId() + " of account " + m.account()
          + " is later than the grace period; ignored by the patterns");
      return;
    }
    if (s.seen(m.eventId())) {
      return;
    }
    long latest = Math.max(s.latest(), m.time());
    List<Movement> refusals = young(s.refusals(), latest, BankStreams.REFUSALS_WITHIN);
    List<Movement> deposits = young(s.deposits(), latest, BankStreams.DRAIN_WITHIN);
    List<Movement> outs = young(s.outs(), latest, BankStreams.DRAIN_WITHIN);
    // Movements that formed an alert, kept as long as a redelivery of them could still count.
    List<Movement> used = young(s.used(), latest, BankStreams.REFUSALS_WITHIN);
    if (m.kind() == Kind.WITHDRAWAL_REFUSED) {
      refusals.add(m);
      refusals.sort(BY_TIME);
      used.addAll(repeatedRefusals(refusals));
    } else if (m.kind() == Kind.DEPOSIT) {
      deposits.add(m);
      used.addAll(drained(deposits, outs));
    } else if (m.kind().isOut()) {
      outs.add(m);
      used.addAll(drained(deposits, outs));
    }
    store.put(record.key(), new State(latest, List.copyOf(refusals), List.copyOf(deposits), List.copyOf(outs),
        List.copyOf(used)));
  }

  private static final Comparator<Movement> BY_TIME =
      Comparator.comparingLong(Movement::time).thenComparing(Movement::eventId);

  /** Raises an alert for each three refusals within the span, and takes them out; returns them. */
  private List<Movement> repeatedRefusals(List<Movement> refusals) {
    List<Movement> used = new ArrayList<>();
    long span = BankStreams.REFUSALS_WITHIN.toMillis();
    for (int i = 0; i + 2 < refusals.size(); ) {
      Movement first = refusals.get(i);
      Movement third = refusals.get(i + 2);
      if (third.time() - first.time() <= span) {
        List<Movement> three = List.copyOf(refusals.subList(i, i + 3));
        refusals.subList(i, i + 3).clear();
        used.addAll(three);
        raise(Alert.of(first.account(), Pattern.REPEATED_REFUSALS, Instant.ofEpochMilli(third.time()),
            ids(three), "3 withdrawals refused within " + minutes(third.time() - first.time()) + " (amounts "
                + three.stream().map(r -> r.amount().toPlainString() + " " + r.currency()).toList() + ")"));
      } else {
        i++;
      }
    }
    return used;
  }

  /**
   * Raises an alert for each outgoing movement that drains a deposit within the span, pairing it
   * with the latest such deposit before it, and takes both out; returns them.
   */
  private List<Movement> drained(List<Movement> deposits, List<Movement> outs) {
    List<Movement> used = new ArrayList<>();
    deposits.sort(BY_TIME);
    outs.sort(BY_TIME);
    long span = BankStreams.DRAIN_WITHIN.toMillis();
    BigDecimal share = BigDecimal.valueOf(BankStreams.DRAIN_PERCENT);
    for (int o = 0; o < outs.size(); o++) {
      Movement out = outs.get(o);
      for (int d = deposits.size() - 1; d >= 0; d--) {
        Movement deposit = deposits.get(d);
        long after = out.time() - deposit.time();
        boolean inTime = after >= 0 && after <= span;
        // amount * 100 >= deposit * percent: exact, no rounding at the threshold.
        boolean most = out.amount().multiply(BigDecimal.valueOf(100))
            .compareTo(deposit.amount().multiply(share)) >= 0;
        if (inTime && most && out.currency().equals(deposit.currency())) {
          deposits.remove(d);
          outs.remove(o);
          o--;
          used.add(deposit);
          used.add(out);
          raise(Alert.of(deposit.account(), Pattern.DEPOSIT_THEN_WITHDRAWAL, Instant.ofEpochMilli(out.time()),
              List.of(deposit.eventId(), out.eventId()), "deposit of " + deposit.amount().toPlainString() + " "
                  + deposit.currency() + " followed after " + after / 1000 + " s by "
                  + out.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " of "
                  + out.amount().toPlainString() + " " + out.currency()));
          break;
        }
      }
    }
    return used;
  }

  private void raise(Alert alert) {
    context.forward(new Record<>(alertKey(alert), alert, alert.time().toEpochMilli()));
  }

  private static String alertKey(Alert alert) {
    return dev.annals.bank.domain.Account.TYPE.streamId(alert.account()).toString();
  }

  /** The movements no older than the span plus the grace period before {@code latest}. */
  private List<Movement> young(List<Movement> movements, long latest, Duration span) {
    long oldest = latest - span.toMillis() - graceMillis;
    List<Movement> kept = new ArrayList<>();
    for (Movement m : movements) {
      if (m.time() >= oldest) {
        kept.add(m);
      }
    }
    return kept;
  }

  private static List<String> ids(List<Movement> movements) {
    return movements.stream().map(Movement::eventId).toList();
  }

  private static String minutes(long millis) {
    Duration d = Duration.ofMillis(millis);
    return d.toMinutes() + " min " + d.toSecondsPart() + " s";
  }
}

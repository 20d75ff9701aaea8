package dev.annals.bank.audit;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.Transfer;
import dev.annals.bank.domain.TransferEvent;
import dev.annals.bank.domain.TransferProcess;
import dev.annals.bank.domain.TransferState;
import dev.annals.core.EventStore;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The auditor's check that no money appeared or vanished: per currency, the sum of the
 * accounts' balances must equal what the event log says was deposited minus what was withdrawn,
 * less what is in transit (transfers debited from their source but neither credited to their
 * target nor refunded yet; at rest, after {@link TransferProcess} has caught up, that is zero).
 * The two sides come from different places on purpose: balances from loaded aggregates
 * (snapshots plus tails), flows from reading the whole log with {@link EventStore#readAll}.
 *
 * <p>Money may be in transit only in a transfer whose process is still under way: a transfer
 * whose own stream says it finished (completed, failed or compensated), or that has no stream,
 * must have as much credited or refunded as was debited. One that has not is {@link Stranded}:
 * its accounts' events and its own disagree, as when a credit was cut from an account's stream.
 */
public final class MoneyAudit {

  private static final int PAGE = 1000;

  private MoneyAudit() {}

  /**
   * One currency's figures.
   *
   * @param balances sum of the account balances
   * @param deposited sum of all deposits in the log
   * @param withdrawn sum of all withdrawals in the log
   * @param inTransit transfers debited but neither credited nor refunded
   * @param broughtForward balances carried forward from closed years whose streams are no longer
   *     in the log (archived): each {@code BalanceCarriedForward} minus each {@code YearClosed}
   *     still in the log, so zero while both streams of a close are there. Not new money: it
   *     stands for the flows of the archived streams, which the log no longer holds.
   */
  public record Line(Currency currency, BigDecimal balances, BigDecimal deposited, BigDecimal withdrawn,
      BigDecimal inTransit, BigDecimal broughtForward) {

    /** A line with nothing brought forward. */
    public Line(Currency currency, BigDecimal balances, BigDecimal deposited, BigDecimal withdrawn,
        BigDecimal inTransit) {
      this(currency, balances, deposited, withdrawn, inTransit, BigDecimal.ZERO);
    }

    /** A line with nothing in transit. */
    public Line(Currency currency, BigDecimal balances, BigDecimal deposited, BigDecimal withdrawn) {
      this(currency, balances, deposited, withdrawn, BigDecimal.ZERO);
    }

    /**
     * What the balances must add up to: brought forward plus deposits minus withdrawals minus
     * money in transit.
     */
    BigDecimal expectedBalances() {
      return broughtForward.add(deposited).subtract(withdrawn).subtract(inTransit);
    }

    /** Whether the balances equal deposits minus withdrawals minus money in transit. */
    public boolean holds() {
      return balances.compareTo(expectedBalances()) == 0;
    }
  }

  /**
   * Money that sits in a transfer whose process has finished (or that was never requested).
   *
   * @param transferId the transfer's id (its stream is {@code transfer-<id>})
   * @param status the transfer's status by its own events; {@link TransferState.Status#NONE} if it has none
   * @param outstanding debited minus credited minus refunded, by the accounts' events; negative
   *     when more arrived than left
   */
  public record Stranded(String transferId, TransferState.Status status, Money outstanding) {}

  /**
   * The figures of every currency that occurs in the log or in the balances.
   *
   * @param eventsRead how many account events were read from the log
   * @param stranded the transfers whose money is in transit although their process has finished,
   *     by transfer id
   */
  public record Report(List<Line> lines, long eventsRead, List<Stranded> stranded) {

    /** Copies {@code lines} and {@code stranded}. */
    public Report {
      lines = List.copyOf(lines);
      stranded = List.copyOf(stranded);
    }

    /** A report without stranded transfers. */
    public Report(List<Line> lines, long eventsRead) {
      this(lines, eventsRead, List.of());
    }

    /** Whether money is conserved in every currency. */
    public boolean conserved() {
      return lines.stream().allMatch(Line::holds);
    }

    /** Whether no transfer is half-applied: nothing is in transit in any currency. */
    public boolean atRest() {
      return lines.stream().allMatch(l -> l.inTransit().signum() == 0);
    }
  }

  /**
   * Compares {@code accounts}, the states of all accounts, with the flows in {@code store}'s log,
   * and each transfer's money with its own events.
   */
  public static Report check(EventStore store, Collection<AccountState> accounts) {
    Map<Currency, Sums> sums = new TreeMap<>(Comparator.comparing(Currency::getCurrencyCode));
    // By transfer id, then currency: a transfer moves one currency, but a forged event may not.
    Map<String, Map<Currency, BigDecimal>> outstanding = new TreeMap<>();
    Map<String, TransferState.Status> transfers = new TreeMap<>();
    long read = 0;
    long after = 0;
    while (true) {
      List<RecordedEvent> page = store.readAll(after, PAGE,
          LogFilter.categories(Account.TYPE.category(), Transfer.TYPE.category()));
      for (RecordedEvent recorded : page) {
        after = recorded.position();
        Object event = recorded.payload();
        if (event instanceof TransferEvent transferEvent) {
          transfers.put(recorded.streamId().id(), status(transferEvent));
          continue;
        }
        read++;
        if (event instanceof AccountEvent.YearClosed closed) {
          Sums s = sums.computeIfAbsent(closed.balance().currency(), c -> new Sums());
          s.broughtForward = s.broughtForward.subtract(closed.balance().amount());
        } else if (event instanceof AccountEvent.BalanceCarriedForward carried) {
          Sums s = sums.computeIfAbsent(carried.balance().currency(), c -> new Sums());
          s.broughtForward = s.broughtForward.add(carried.balance().amount());
        } else if (event instanceof Opened opened) {
          sums.computeIfAbsent(opened.currency(), c -> new Sums());
        } else if (event instanceof Deposited deposited) {
          Money amount = deposited.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.deposited = s.deposited.add(amount.amount());
        } else if (event instanceof Withdrawn withdrawn) {
          Money amount = withdrawn.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.withdrawn = s.withdrawn.add(amount.amount());
        } else if (event instanceof AccountEvent.TransferDebited debited) {
          Money amount = debited.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.inTransit = s.inTransit.add(amount.amount());
          owe(outstanding, debited.transferId(), amount.amount(), amount.currency());
        } else if (event instanceof AccountEvent.TransferCredited credited) {
          Money amount = credited.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.inTransit = s.inTransit.subtract(amount.amount());
          owe(outstanding, credited.transferId(), amount.amount().negate(), amount.currency());
        } else if (event instanceof AccountEvent.TransferRefunded refunded) {
          Money amount = refunded.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.inTransit = s.inTransit.subtract(amount.amount());
          owe(outstanding, refunded.transferId(), amount.amount().negate(), amount.currency());
        }
      }
      if (page.size() < PAGE) {
        break;
      }
    }
    for (AccountState account : accounts) {
      // A closed year's balance lives on in the next year's stream: count it there, once.
      if (account.status() != Status.NONE && account.status() != Status.CARRIED_FORWARD) {
        Sums s = sums.computeIfAbsent(account.balance().currency(), c -> new Sums());
        s.balances = s.balances.add(account.balance().amount());
      }
    }
    List<Line> lines = new ArrayList<>();
    sums.forEach((currency, s) -> lines.add(new Line(currency, s.balances, s.deposited, s.withdrawn, s.inTransit,
        s.broughtForward)));
    List<Stranded> stranded = new ArrayList<>();
    outstanding.forEach((transferId, byCurrency) -> {
      TransferState.Status status = transfers.getOrDefault(transferId, TransferState.Status.NONE);
      boolean underWay = status == TransferState.Status.REQUESTED || status == TransferState.Status.DEBITED
          || status == TransferState.Status.REFUNDING;
      byCurrency.forEach((currency, amount) -> {
        if (amount.signum() != 0 && !underWay) {
          stranded.add(new Stranded(transferId, status, new Money(amount, currency)));
        }
      });
    });
    return new Report(lines, read, stranded);
  }

  private static void owe(Map<String, Map<Currency, BigDecimal>> outstanding, String transferId, BigDecimal amount,
      Currency currency) {
    outstanding.computeIfAbsent(transferId, t -> new TreeMap<>(Comparator.comparing(Currency::getCurrencyCode)))
        .merge(currency, amount, BigDecimal::add);
  }

  /** The status a transfer's event leaves it in (its events come in this order, one per step). */
  private static TransferState.Status status(TransferEvent event) {
    if (event instanceof TransferEvent.Requested) {
      return TransferState.Status.REQUESTED;
    } else if (event instanceof TransferEvent.SourceDebited) {
      return TransferState.Status.DEBITED;
    } else if (event instanceof TransferEvent.DebitRefused) {
      return TransferState.Status.FAILED;
    } else if (event instanceof TransferEvent.TargetCredited) {
      return TransferState.Status.COMPLETED;
    } else if (event instanceof TransferEvent.CreditRefused) {
      return TransferState.Status.REFUNDING;
    }
    return TransferState.Status.COMPENSATED;
  }

  /**
   * Whether the projected balances (the {@code balances} read model, by account id) agree with
   * the log: the same accounts as {@code loaded} (the states loaded through the repository, by
   * account id) with equal balances, and per currency the total the {@code audit} expects
   * (deposits minus withdrawals minus money in transit).
   */
  public static boolean balancesAgree(Map<String, Money> projected, Map<String, AccountState> loaded,
      Report audit) {
    if (!projected.keySet().equals(loaded.keySet())) {
      return false;
    }
    for (Map.Entry<String, AccountState> e : loaded.entrySet()) {
      Money balance = e.getValue().balance();
      Money row = projected.get(e.getKey());
      if (!row.currency().equals(balance.currency()) || row.compareTo(balance) != 0) {
        return false;
      }
    }
    Map<Currency, BigDecimal> totals = totals(projected.values());
    for (Line line : audit.lines()) {
      BigDecimal total = totals.getOrDefault(line.currency(), BigDecimal.ZERO);
      if (total.compareTo(line.expectedBalances()) != 0) {
        return false;
      }
    }
    return true;
  }

  private static Map<Currency, BigDecimal> totals(Collection<Money> balances) {
    Map<Currency, BigDecimal> totals = new TreeMap<>((a, b) -> a.getCurrencyCode().compareTo(b.getCurrencyCode()));
    for (Money m : balances) {
      totals.merge(m.currency(), m.amount(), BigDecimal::add);
    }
    return totals;
  }

  private static final class Sums {
    BigDecimal balances = BigDecimal.ZERO;
    BigDecimal deposited = BigDecimal.ZERO;
    BigDecimal withdrawn = BigDecimal.ZERO;
    BigDecimal inTransit = BigDecimal.ZERO;
    BigDecimal broughtForward = BigDecimal.ZERO;
  }
}

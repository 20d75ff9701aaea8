package dev.annals.bank.audit;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferProcess;
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
   */
  public record Line(Currency currency, BigDecimal balances, BigDecimal deposited, BigDecimal withdrawn,
      BigDecimal inTransit) {

    /** A line with nothing in transit. */
    public Line(Currency currency, BigDecimal balances, BigDecimal deposited, BigDecimal withdrawn) {
      this(currency, balances, deposited, withdrawn, BigDecimal.ZERO);
    }

    /** What the balances must add up to: deposits minus withdrawals minus money in transit. */
    BigDecimal expectedBalances() {
      return deposited.subtract(withdrawn).subtract(inTransit);
    }

    /** Whether the balances equal deposits minus withdrawals minus money in transit. */
    public boolean holds() {
      return balances.compareTo(expectedBalances()) == 0;
    }
  }

  /**
   * The figures of every currency that occurs in the log or in the balances.
   *
   * @param eventsRead how many account events were read from the log
   */
  public record Report(List<Line> lines, long eventsRead) {

    /** Copies {@code lines}. */
    public Report {
      lines = List.copyOf(lines);
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

  /** Compares {@code accounts}, the states of all accounts, with the flows in {@code store}'s log. */
  public static Report check(EventStore store, Collection<AccountState> accounts) {
    Map<Currency, Sums> sums = new TreeMap<>(Comparator.comparing(Currency::getCurrencyCode));
    long read = 0;
    long after = 0;
    while (true) {
      List<RecordedEvent> page = store.readAll(after, PAGE, LogFilter.categories(Account.TYPE.category()));
      for (RecordedEvent recorded : page) {
        Object event = recorded.payload();
        if (event instanceof Opened opened) {
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
        } else if (event instanceof AccountEvent.TransferCredited credited) {
          Money amount = credited.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.inTransit = s.inTransit.subtract(amount.amount());
        } else if (event instanceof AccountEvent.TransferRefunded refunded) {
          Money amount = refunded.amount();
          Sums s = sums.computeIfAbsent(amount.currency(), c -> new Sums());
          s.inTransit = s.inTransit.subtract(amount.amount());
        }
        after = recorded.position();
      }
      read += page.size();
      if (page.size() < PAGE) {
        break;
      }
    }
    for (AccountState account : accounts) {
      if (account.status() != Status.NONE) {
        Sums s = sums.computeIfAbsent(account.balance().currency(), c -> new Sums());
        s.balances = s.balances.add(account.balance().amount());
      }
    }
    List<Line> lines = new ArrayList<>();
    sums.forEach((currency, s) -> lines.add(new Line(currency, s.balances, s.deposited, s.withdrawn, s.inTransit)));
    return new Report(lines, read);
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
  }
}

package dev.annals.postgres;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gathers concurrent requests into groups that one statement serves, leader and followers: the
 * caller that finds no group being written writes one itself, on its own thread, so a lone caller
 * pays no hand-off; callers that arrive while a group is in flight queue, and the finishing leader
 * hands all of them (up to the maximum) to the first of them, which writes them as the next group.
 * At most {@code maxInFlight} groups are written at once. Thread-safe.
 *
 * @param <R> a request
 * @param <A> its answer
 */
final class GroupCommitter<R, A> {

  /** Writes a group; answers in the order of the requests, one per request. */
  interface Writer<R, A> {
    List<A> write(List<R> group) throws Exception;
  }

  /** The group of a request could not be written: the exception the writer threw. */
  static final class GroupFailedException extends Exception {
    private final int groupSize;

    GroupFailedException(Throwable cause, int groupSize) {
      super(cause);
      this.groupSize = groupSize;
    }

    /** How many requests the failed group held. */
    int groupSize() {
      return groupSize;
    }
  }

  private static final class Pending<R, A> {
    final R request;
    final Thread waiter = Thread.currentThread();
    /** Set once by the thread that wrote the group, then {@link #done}. */
    A answer;
    Throwable failure;
    int groupSize;
    /** A group this request's thread is to write, handed over by the previous leader. */
    List<Pending<R, A>> handedOver;
    volatile boolean done;

    Pending(R request) {
      this.request = request;
    }
  }

  private final Writer<R, A> writer;
  private final long maxWaitNanos;
  private final int maxGroup;
  private final int maxInFlight;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final ArrayDeque<Pending<R, A>> queue = new ArrayDeque<>();
  private int leaders;
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();

  GroupCommitter(Writer<R, A> writer, long maxWaitNanos, int maxGroup, int maxInFlight) {
    this.writer = writer;
    this.maxWaitNanos = maxWaitNanos;
    this.maxGroup = maxGroup;
    this.maxInFlight = maxInFlight;
  }

  /**
   * Writes {@code request} in a group and answers it.
   *
   * @throws GroupFailedException if the group it was in could not be written
   */
  A submit(R request) throws GroupFailedException {
    Pending<R, A> mine = new Pending<>(request);
    boolean lead;
    lock.lock();
    try {
      lead = leaders < maxInFlight;
      if (lead) {
        // A leader's own request never enters the queue: a finishing leader hands the queue's
        // head a group to write, and a request there may be handed over while its own thread
        // is busy leading, so that no one would write that group (and everyone in it would wait).
        leaders++;
      } else {
        queue.addLast(mine);
        if (maxWaitNanos > 0 && queue.size() + 1 >= maxGroup) {
          arrived.signalAll();
        }
      }
    } finally {
      lock.unlock();
    }
    if (lead) {
      writeAndHandOver(gather(mine));
    } else {
      boolean interrupted = false;
      // The request may be in a group being written: it cannot be withdrawn, so wait it out.
      while (!mine.done) {
        LockSupport.park(this);
        interrupted |= Thread.interrupted();
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (mine.handedOver != null) {
        writeAndHandOver(mine.handedOver);
      }
    }
    if (mine.failure != null) {
      throw new GroupFailedException(mine.failure, mine.groupSize);
    }
    return mine.answer;
  }

  /** Requests written so far in groups, and the groups: for tests and the docs' measurements. */
  long[] counts() {
    return new long[] {groups.get(), requests.get()};
  }

  /** How many requests wait for a group (not those being written). */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** A new leader's group: its own request first, then what is queued, after waiting up to the maximum wait for more. */
  private List<Pending<R, A>> gather(Pending<R, A> own) {
    lock.lock();
    try {
      if (maxWaitNanos > 0) {
        long remaining = maxWaitNanos;
        while (queue.size() + 1 < maxGroup && remaining > 0) {
          try {
            remaining = arrived.awaitNanos(remaining);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      List<Pending<R, A>> group = new ArrayList<>(Math.min(queue.size() + 1, maxGroup));
      group.add(own);
      take(group);
      return group;
    } finally {
      lock.unlock();
    }
  }

  /** Moves queued requests into {@code group} up to the maximum group; under the lock. */
  private List<Pending<R, A>> take(List<Pending<R, A>> group) {
    while (!queue.isEmpty() && group.size() < maxGroup) {
      group.add(queue.pollFirst());
    }
    return group;
  }

  private void writeAndHandOver(List<Pending<R, A>> group) {
    Pending<R, A> self = null;
    try {
      write(group);
    } finally {
      List<Pending<R, A>> next;
      lock.lock();
      try {
        next = queue.isEmpty() ? null : take(new ArrayList<>(Math.min(queue.size(), maxGroup)));
        if (next == null) {
          leaders--;
        }
      } finally {
        lock.unlock();
      }
      if (next != null) {
        Pending<R, A> leader = next.get(0);
        leader.handedOver = next;
        leader.done = true;
        LockSupport.unpark(leader.waiter);
      }
    }
  }

  private void write(List<Pending<R, A>> group) {
    List<R> requestsOfGroup = new ArrayList<>(group.size());
    for (Pending<R, A> p : group) {
      requestsOfGroup.add(p.request);
    }
    List<A> answers = null;
    Throwable failure = null;
    try {
      answers = writer.write(requestsOfGroup);
      if (answers.size() != group.size()) {
        throw new IllegalStateException(answers.size() + " answers for a group of " + group.size());
      }
    } catch (Throwable t) {
      failure = t;
    }
    groups.incrementAndGet();
    requests.addAndGet(group.size());
    Thread current = Thread.currentThread();
    for (int i = 0; i < group.size(); i++) {
      Pending<R, A> p = group.get(i);
      p.handedOver = null;
      p.groupSize = group.size();
      if (failure == null) {
        p.answer = answers.get(i);
      } else {
        p.failure = failure;
      }
      p.done = true;
      if (p.waiter != current) {
        LockSupport.unpark(p.waiter);
      }
    }
  }

  @Override
  public String toString() {
    return "GroupCommitter[maxWait=" + TimeUnit.NANOSECONDS.toMicros(maxWaitNanos) + "µs, maxGroup=" + maxGroup
        + ", maxInFlight=" + maxInFlight + "]";
  }
}

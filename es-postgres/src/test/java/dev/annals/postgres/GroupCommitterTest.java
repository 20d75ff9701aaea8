package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The committer's leader and follower hand-over under many callers, without a database: every
 * request is written exactly once, in a group that holds it, and answered with its own answer.
 * A leader whose own request had been queued could see it handed to another group's thread as
 * that group's leader while it was busy writing: nobody wrote that group, its callers waited for
 * ever, and the leader wrote an empty group and answered its caller with nothing.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class GroupCommitterTest {

  @ParameterizedTest(name = "{0} callers, {1} in flight, groups of up to {2}, wait {3} µs")
  @CsvSource({"16, 2, 64, 0", "16, 1, 4, 0", "8, 3, 3, 0", "12, 2, 8, 50"})
  void every_request_is_written_once_in_a_group_that_holds_it_and_gets_its_own_answer(int callers,
      int inFlight, int maxGroup, int waitMicros) throws Exception {
    int perCaller = 3_000;
    ConcurrentHashMap<Integer, AtomicInteger> written = new ConcurrentHashMap<>();
    AtomicInteger emptyGroups = new AtomicInteger();
    AtomicInteger oversized = new AtomicInteger();
    GroupCommitter<Integer, String> committer = new GroupCommitter<>(group -> {
      if (group.isEmpty()) {
        emptyGroups.incrementAndGet();
      }
      if (group.size() > maxGroup) {
        oversized.incrementAndGet();
      }
      List<String> answers = new ArrayList<>(group.size());
      for (int request : group) {
        written.computeIfAbsent(request, k -> new AtomicInteger()).incrementAndGet();
        answers.add("answer-" + request);
      }
      // Widens the window in which other callers queue and leaders finish.
      Thread.yield();
      return answers;
    }, TimeUnit.MICROSECONDS.toNanos(waitMicros), maxGroup, inFlight);

    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int caller = c;
        done.add(pool.submit(() -> {
          int wrong = 0;
          for (int i = 0; i < perCaller; i++) {
            int request = caller * perCaller + i;
            if (!("answer-" + request).equals(committer.submit(request))) {
              wrong++;
            }
          }
          return wrong;
        }));
      }
      int wrongAnswers = 0;
      for (Future<Integer> f : done) {
        // A generous bound: a lost hand-over leaves callers waiting for ever, not slower.
        wrongAnswers += f.get(5, TimeUnit.MINUTES);
      }
      assertThat(wrongAnswers).as("answers that were not the request's own").isZero();
    } finally {
      pool.shutdownNow();
    }
    assertThat(emptyGroups.get()).as("empty groups written").isZero();
    assertThat(oversized.get()).as("groups above the maximum").isZero();
    assertThat(written).hasSize(callers * perCaller);
    assertThat(written.values()).allSatisfy(n -> assertThat(n.get()).as("times written").isEqualTo(1));
    long[] counts = committer.counts();
    assertThat(counts[1]).isEqualTo((long) callers * perCaller);
    assertThat(committer.queued()).isZero();
  }
}

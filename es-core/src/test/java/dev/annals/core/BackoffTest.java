package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BackoffTest {

  private final Backoff backoff = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1));

  @Test
  void the_wait_doubles_per_failure_up_to_the_cap() {
    assertThat(backoff.delay(0)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(4)).isEqualTo(Duration.ofMillis(800));
    assertThat(backoff.delay(5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void a_jittered_wait_stays_between_zero_and_the_plain_one() {
    for (int i = 0; i < 1_000; i++) {
      assertThat(backoff.jitteredDelay(3)).isBetween(Duration.ZERO, Duration.ofMillis(400));
    }
  }

  @Test
  void settings_are_checked_and_named() {
    assertThatThrownBy(() -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("first backoff must be positive, was PT0S");
    assertThatThrownBy(() -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max backoff must be at least the first backoff (PT2S), was PT1S");
    assertThatThrownBy(() -> Backoff.of(null, Duration.ofSeconds(1)))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void a_sleep_ends_early_when_its_owner_stops() {
    AtomicBoolean running = new AtomicBoolean(false);
    assertThat(Backoff.sleep(Duration.ofDays(1), running::get)).isFalse();
  }

  @Test
  void a_sleep_of_an_interrupted_thread_returns_false_and_keeps_the_flag() {
    Thread.currentThread().interrupt();
    try {
      assertThat(Backoff.sleep(Duration.ofSeconds(10), () -> true)).isFalse();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}

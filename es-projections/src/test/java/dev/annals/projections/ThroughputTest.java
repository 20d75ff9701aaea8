package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ThroughputTest {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2025-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void counts_events_per_second_from_the_given_clock_and_falls_to_zero_when_quiet() {
    ManualClock clock = new ManualClock();
    Throughput t = new Throughput(clock);
    assertThat(t.eventsPerSecond()).isZero();
    t.record(100);
    clock.advance(Duration.ofSeconds(1));
    t.record(100);
    assertThat(t.eventsPerSecond()).isEqualTo(200.0);
    clock.advance(Duration.ofSeconds(6));
    assertThat(t.eventsPerSecond()).isZero();
  }
}

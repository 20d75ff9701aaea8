package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectorTest {

  static final Projector.Handler NOTHING = (event, ctx) -> {};

  @Nested
  class A_builder {

    @Test
    void has_defaults_a_read_model_needs() {
      Projector p = Projector.builder("balances").handler(NOTHING).build();
      assertThat(p.version()).isEqualTo(1);
      assertThat(p.partitions()).isEqualTo(1);
      assertThat(p.batchSize()).isEqualTo(500);
      assertThat(p.maxAttempts()).isEqualTo(5);
      assertThat(p.failurePolicy()).isEqualTo(FailurePolicy.STOP);
      assertThat(p.filter().isAll()).isTrue();
      assertThat(p.isSideEffects()).isFalse();
      assertThat(p.tables()).isEmpty();
    }

    @Test
    void rejects_a_name_that_is_not_lower_case_letters_digits_and_underscores() {
      for (String bad : new String[] {"Balances", "1st", "bal-ances", "", "a".repeat(42)}) {
        assertThatThrownBy(() -> Projector.builder(bad)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid projector name '" + bad + "'");
      }
      assertThat(Projector.builder("a".repeat(41)).handler(NOTHING).build().name()).hasSize(41);
    }

    @Test
    void names_the_bad_value_of_each_setting() {
      Projector.ReadModelBuilder b = Projector.builder("balances");
      assertThatThrownBy(() -> b.version(0)).hasMessage("version must be 1 or more, was 0");
      assertThatThrownBy(() -> b.partitions(0)).hasMessage("partitions must be 1 to 256, was 0");
      assertThatThrownBy(() -> b.partitions(257)).hasMessage("partitions must be 1 to 256, was 257");
      assertThatThrownBy(() -> b.batchSize(0)).hasMessage("batchSize must be 1 to 10000, was 0");
      assertThatThrownBy(() -> b.retries(0, Duration.ofMillis(1), Duration.ofMillis(1)))
          .hasMessage("maxAttempts must be 1 to 100, was 0");
      assertThatThrownBy(() -> b.retries(3, Duration.ZERO, Duration.ofMillis(1)))
          .hasMessage("first backoff must be positive, was PT0S");
      assertThatThrownBy(() -> b.retries(3, Duration.ofSeconds(2), Duration.ofSeconds(1)))
          .hasMessage("max backoff must be at least the first backoff (PT2S), was PT1S");
      assertThatThrownBy(() -> b.tables("Balances")).hasMessageContaining("invalid table name 'Balances'");
      assertThatThrownBy(() -> b.tables("t", "t")).hasMessage("table 't' was already declared");
      assertThatThrownBy(() -> b.filter(null)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("filter must not be null");
    }

    @Test
    void refuses_a_second_handler() {
      Projector.ReadModelBuilder b = Projector.builder("balances").handler(NOTHING);
      assertThatThrownBy(() -> b.handler(NOTHING)).isInstanceOf(IllegalStateException.class)
          .hasMessage("handler was already set for projector balances");
    }

    @Test
    void checks_combinations_when_building() {
      assertThatThrownBy(() -> Projector.builder("balances").build()).isInstanceOf(IllegalStateException.class)
          .hasMessage("projector balances needs a handler(...) or a batchHandler(...)");
      assertThatThrownBy(() -> Projector.builder("balances").tables("balances").handler(NOTHING).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("projector balances declares tables [balances] but no setup(...) that creates them");
      assertThatThrownBy(() -> Projector.sideEffects("mailer").build()).isInstanceOf(IllegalStateException.class)
          .hasMessage("projector mailer needs a handler(...)");
    }
  }

  @Test
  void a_side_effect_projector_has_no_tables_and_version_one() {
    Projector p = Projector.sideEffects("mailer").handler((event, ctx) -> {}).partitions(4).build();
    assertThat(p.isSideEffects()).isTrue();
    assertThat(p.version()).isEqualTo(1);
    assertThat(p.partitions()).isEqualTo(4);
    assertThat(p.tables()).isEmpty();
  }

  @Test
  void the_backoff_doubles_per_try_up_to_its_cap() {
    Projector p = Projector.builder("p").handler(NOTHING)
        .retries(6, Duration.ofMillis(100), Duration.ofMillis(500)).build();
    assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.backoff(4)).isEqualTo(Duration.ofMillis(500));
    assertThat(p.backoff(40)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void a_context_refuses_a_table_the_projector_did_not_declare() {
    Projector p = Projector.builder("p").tables("balances").setup(t -> {}).handler(NOTHING).build();
    TableContext t = Contexts.tables(null, "bank", null, p, 3);
    assertThat(t.table("balances")).isEqualTo("bank.balances_v3");
    assertThatThrownBy(() -> t.table("balance")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("projector p has no table 'balance'; it declared [balances] (Projector.builder(...).tables(...))");
  }
}

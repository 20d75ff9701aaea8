package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EventIdsTest {

  private static final StreamId STREAM = StreamId.of("account", "a1");

  @Test
  void fresh_ids_are_version_7_and_carry_the_time_they_were_made() {
    long before = System.currentTimeMillis();
    UUID id = NewEvent.of("payload").eventId();
    long after = System.currentTimeMillis();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
  }

  @Test
  void ids_of_later_milliseconds_sort_after_earlier_ones_in_the_databases_order() {
    // PostgreSQL compares uuids byte by byte, as unsigned; so does this comparison of the text.
    List<String> ids = new ArrayList<>();
    for (long millis = 1_700_000_000_000L; millis < 1_700_000_000_050L; millis++) {
      ids.add(EventIds.timeOrdered(millis).toString());
    }
    assertThat(ids).isSorted();
  }

  @Test
  void fresh_ids_do_not_repeat() {
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      seen.add(EventIds.timeOrdered(1_700_000_000_000L));
    }
    assertThat(seen).hasSize(100_000);
  }

  @Test
  void a_version_7_command_id_gives_its_events_stable_ids_that_keep_its_time() {
    String commandId = CommandContext.random().commandId();
    long millis = UUID.fromString(commandId).getMostSignificantBits() >>> 16;

    UUID first = EventIds.derived(commandId, STREAM, 0);

    assertThat(EventIds.derived(commandId, STREAM, 0)).isEqualTo(first);
    assertThat(first.version()).isEqualTo(8);
    assertThat(first.variant()).isEqualTo(2);
    assertThat(first.getMostSignificantBits() >>> 16).isEqualTo(millis);
    assertThat(EventIds.derived(commandId, STREAM, 1)).isNotEqualTo(first);
    assertThat(EventIds.derived(commandId, StreamId.of("account", "a2"), 0)).isNotEqualTo(first);
  }

  @Test
  void other_command_ids_keep_the_name_based_ids_they_always_had() {
    // Events already stored under these ids must still be recognised when the command is resent.
    for (String commandId : List.of("transfer-42-debit", UUID.randomUUID().toString(),
        "01890a5d-ac96-774b-bcce-b302099a8057x")) {
      UUID expected = UUID.nameUUIDFromBytes((commandId + "|" + STREAM + "|3")
          .getBytes(StandardCharsets.UTF_8));
      assertThat(EventIds.derived(commandId, STREAM, 3)).isEqualTo(expected);
    }
  }
}

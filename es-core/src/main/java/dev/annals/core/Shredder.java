package dev.annals.core;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Forgets personal-data subjects (crypto-shredding). {@link #forget} destroys the subject's key,
 * so every read, load, projection, replay and export from then on decodes their protected fields
 * as erased, while the stored ciphertext, and so the hash chain over it, stays as it was.
 *
 * <pre>{@code
 * Shredder shredder = Shredder.builder(store)
 *     .snapshots(snapshotStore)
 *     .evicting(accounts)
 *     .build();
 * shredder.forget("customer-7", "dpo@bank.example", "erasure request 2026-114");
 * }</pre>
 *
 * <p>In order: the key is destroyed; the snapshots of every stream holding the subject's events
 * are discarded (they hold decrypted copies) and those streams' states leave the given
 * repositories' caches; then {@link SubjectForgotten} is appended to stream
 * {@code forgotten-<subject>}, recording who and why and telling projectors to erase their
 * copies. Each step is idempotent, so a forget that failed half-way is simply called again.
 * Finding the streams reads the events of the types that declare personal data: a forget costs
 * a pass over them. Thread-safe.
 */
public final class Shredder {

  private static final int PAGE = 1000;

  private final EventStore store;
  private final SubjectKeys keys;
  private final List<SnapshotStore> snapshots;
  private final List<AggregateRepository<?, ?, ?>> repositories;

  private Shredder(Builder b) {
    this.store = b.store;
    this.keys = b.store.registry().subjectKeys().orElseThrow();
    this.snapshots = List.copyOf(b.snapshots);
    this.repositories = List.copyOf(b.repositories);
  }

  /**
   * A shredder for the subjects of {@code store}, whose registry must be bound to subject keys.
   *
   * @throws IllegalArgumentException if the store's registry has no subject keys
   */
  public static Builder builder(EventStore store) {
    Objects.requireNonNull(store, "store must not be null");
    if (store.registry().subjectKeys().isEmpty()) {
      throw new IllegalArgumentException("the store's registry has no subject keys: nothing of it is "
          + "encrypted, so nothing can be forgotten (EventRegistry.withSubjectKeys)");
    }
    return new Builder(store);
  }

  /**
   * What a forget did.
   *
   * @param subject the forgotten subject
   * @param keyDestroyed whether this call destroyed a live key (false when it was gone already)
   * @param streams the streams holding the subject's events, whose snapshots were discarded and
   *     states evicted
   * @param recorded where {@link SubjectForgotten} is stored
   */
  public record Forgotten(String subject, boolean keyDestroyed, List<StreamId> streams, AppendResult recorded) {
    public Forgotten {
      streams = List.copyOf(streams);
    }
  }

  /**
   * Forgets {@code subject}.
   *
   * @param by who asks for it (recorded as the event's actor too)
   * @param reason why (a request number, say)
   * @throws IllegalArgumentException if the subject id is invalid or {@code by} or {@code reason} blank
   */
  public Forgotten forget(String subject, String by, String reason) {
    SubjectForgotten event = new SubjectForgotten(subject, by, reason);
    boolean destroyed = keys.destroy(subject);
    List<StreamId> streams = streamsOf(subject);
    for (StreamId stream : streams) {
      for (SnapshotStore s : snapshots) {
        s.discard(stream);
      }
      for (AggregateRepository<?, ?, ?> r : repositories) {
        if (r.type().category().equals(stream.category())) {
          r.evict(stream.id());
        }
      }
    }
    UUID eventId = UUID.nameUUIDFromBytes(("annals:forgotten|" + subject).getBytes(StandardCharsets.UTF_8));
    AppendResult recorded = store.append(StreamId.of(SubjectForgotten.CATEGORY, subject), ExpectedVersion.any(),
        new NewEvent(eventId, event, new Metadata(null, null, by, Instant.now(), java.util.Map.of())));
    return new Forgotten(subject, destroyed, streams, recorded);
  }

  private List<StreamId> streamsOf(String subject) {
    Set<String> types = store.registry().personalDataTypes();
    Set<StreamId> found = new LinkedHashSet<>();
    if (types.isEmpty()) {
      return List.of();
    }
    LogFilter filter = LogFilter.types(types.toArray(String[]::new));
    long after = 0;
    while (true) {
      List<RecordedEvent> page = store.readAll(after, PAGE, filter);
      for (RecordedEvent e : page) {
        if (store.registry().subjectOf(e.payload()).filter(subject::equals).isPresent()) {
          found.add(e.streamId());
        }
      }
      if (page.size() < PAGE) {
        return new ArrayList<>(found);
      }
      after = page.get(page.size() - 1).position();
    }
  }

  /** Configures a {@link Shredder}. */
  public static final class Builder {
    private final EventStore store;
    private final List<SnapshotStore> snapshots = new ArrayList<>();
    private final List<AggregateRepository<?, ?, ?>> repositories = new ArrayList<>();

    private Builder(EventStore store) {
      this.store = store;
    }

    /** Discards the snapshots of the subject's streams in {@code store}. */
    public Builder snapshots(SnapshotStore store) {
      snapshots.add(Objects.requireNonNull(store, "snapshot store must not be null"));
      return this;
    }

    /** Evicts the subject's streams from {@code repository}'s cache. */
    public Builder evicting(AggregateRepository<?, ?, ?> repository) {
      repositories.add(Objects.requireNonNull(repository, "repository must not be null"));
      return this;
    }

    /** The shredder. */
    public Shredder build() {
      return new Shredder(this);
    }
  }
}

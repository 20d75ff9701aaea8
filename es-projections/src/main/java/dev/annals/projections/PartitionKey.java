package dev.annals.projections;

import dev.annals.postgres.LogPartition;

/** One checkpoint row: a projector version's partition. */
record PartitionKey(String projector, int version, int partition, int partitions) {

  LogPartition logPartition() {
    return new LogPartition(partition, partitions);
  }

  @Override
  public String toString() {
    return projector + " v" + version + " partition " + partition + "/" + partitions;
  }
}

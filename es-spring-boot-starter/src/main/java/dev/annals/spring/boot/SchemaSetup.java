package dev.annals.spring.boot;

import dev.annals.postgres.PostgresSchema;
import dev.annals.projections.ProjectionSchema;
import java.util.function.Supplier;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Installs the tables as the owner's login, when one is configured, and grants the application
 * role. Without an owner, the stores and the runner install the tables themselves on the
 * application's own connections ({@link #applicationInstalls}).
 */
final class SchemaSetup {

  private SchemaSetup() {}

  /** Whether the application's own login installs the tables: asked to, and no owner set. */
  static boolean applicationInstalls(AnnalsProperties.Store store) {
    return store.installSchema() && !store.owner().isSet();
  }

  /**
   * With install-schema and an owner: installs the event store's and the projections' tables as
   * the owner, then grants the application role, if one is set, what they need.
   *
   * @param defaultUrl the URL of the application's data source, for an owner without one
   * @throws IllegalStateException if the owner has no URL
   */
  static void prepare(AnnalsProperties.Store store, Supplier<String> defaultUrl) {
    if (!store.installSchema() || !store.owner().isSet()) {
      return;
    }
    AnnalsProperties.Owner owner = store.owner();
    String url = owner.url() != null ? owner.url() : defaultUrl.get();
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalStateException("annals.store.owner installs the schema but has no PostgreSQL URL: set "
          + "annals.store.owner.url or spring.datasource.url");
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    if (owner.username() != null) {
      ds.setUser(owner.username());
    }
    if (owner.password() != null) {
      ds.setPassword(owner.password());
    }
    if (owner.role() != null) {
      // The session starts as that role, as SET ROLE would; the name was checked when bound.
      ds.setOptions("-c role=" + owner.role());
    }
    ds.setApplicationName("annals-schema-owner");
    PostgresSchema.install(ds, store.schema());
    ProjectionSchema.install(ds, store.schema());
    store.applicationRoleName().ifPresent(role -> {
      PostgresSchema.grantApplicationRole(ds, store.schema(), role);
      ProjectionSchema.grantApplicationRole(ds, store.schema(), role);
    });
  }
}

package dev.annals.bank.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.postgres.Anchor;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Violation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Locale;
import java.util.Optional;

/**
 * The auditor's anchors: {@code anchor FILE [--private-key KEY]} writes one, {@code verify --anchor
 * FILE [--public-key KEY]} compares the store with one. Files and keys are read before the
 * database is touched, so a bad one fails fast, as a usage error.
 *
 * @param file the anchor file
 * @param anchor its content, digest checked
 * @param signatureVerified whether a public key was given and the signature verified with it
 */
record AuditAnchor(Path file, Anchor anchor, boolean signatureVerified) {

  /**
   * Reads {@code file} and, when {@code publicKey} is given, checks its signature.
   *
   * @throws dev.annals.postgres.AnchorException naming the file or key and the problem
   */
  static AuditAnchor load(Path file, Optional<Path> publicKey) {
    Anchor anchor = Anchor.read(file);
    publicKey.ifPresent(key -> anchor.verifySignature(Anchor.readPublicKey(key)));
    return new AuditAnchor(file, anchor, publicKey.isPresent());
  }

  /** Signs {@code taken} with {@code key} if given, writes it to {@code file} and reports it. */
  static void export(Anchor taken, Path file, Optional<PrivateKey> key, ObjectNode json, PrintStream out) {
    Anchor anchor = taken;
    if (key.isPresent()) {
      anchor = anchor.signedWith(key.get());
    }
    anchor.write(file);
    if (json != null) {
      json.put("schema", anchor.schema());
      json.put("file", file.toString());
      json.put("logPosition", anchor.logPosition());
      json.put("takenAt", anchor.takenAt().toString());
      json.put("streams", anchor.heads().size());
      json.put("digest", anchor.digest());
      json.put("signed", anchor.signed());
    } else {
      out.printf(Locale.ROOT, "Anchored %,d streams of schema %s at log position %,d (taken %s) in %s%n",
          anchor.heads().size(), anchor.schema(), anchor.logPosition(), anchor.takenAt(), file);
      out.println("Digest: " + anchor.digest() + (anchor.signed() ? ", signed with Ed25519" : ", unsigned"));
    }
  }

  /** Each anchored stream whose anchored head is missing or differs now. */
  Report compare(IntegrityVerifier verifier) {
    return verifier.compare(anchor);
  }

  private String signature() {
    if (signatureVerified) {
      return "signature verified";
    }
    return anchor.signed() ? "signed, signature not checked (no --public-key)" : "unsigned";
  }

  void print(Report report, PrintStream out) {
    String about = String.format(Locale.ROOT, "Anchor %s of %s (log position %,d, %,d streams, %s)", file,
        anchor.takenAt(), anchor.logPosition(), anchor.heads().size(), signature());
    if (report.intact()) {
      out.println(about + ": every anchored head is in place");
      return;
    }
    out.printf(Locale.ROOT, "%s: %d anchored stream%s missing or different%n", about, report.violations().size(),
        report.violations().size() == 1 ? "" : "s");
    for (Violation v : report.violations()) {
      out.printf(Locale.ROOT, "  stream %s, version %d: %s (%s)%n", v.stream(), v.version(), v.kind(), v.detail());
    }
  }

  void json(Report report, ObjectNode doc) {
    ObjectNode node = doc.putObject("anchor");
    node.put("file", file.toString());
    node.put("takenAt", anchor.takenAt().toString());
    node.put("logPosition", anchor.logPosition());
    node.put("streamsAnchored", anchor.heads().size());
    node.put("digest", anchor.digest());
    node.put("signed", anchor.signed());
    node.put("signatureVerified", signatureVerified);
    node.put("intact", report.intact());
    ArrayNode violations = node.putArray("violations");
    for (Violation v : report.violations()) {
      violations.addObject().put("stream", v.stream()).put("version", v.version())
          .put("position", v.position()).put("kind", v.kind().name()).put("detail", v.detail());
    }
  }
}

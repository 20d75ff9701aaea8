package dev.annals.bank.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.core.internal.Redaction;
import java.io.UncheckedIOException;
import java.util.Map;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/**
 * The API's errors as RFC 9457 problem details ({@code application/problem+json}): {@code type}
 * {@code urn:annals:bank:problem:<code>}, {@code title}, {@code status}, {@code detail} and
 * {@code instance}, plus the members {@code error} (the code) and {@code message} (the detail)
 * that clients of the earlier API read, and any details of the error (such as {@code allow}).
 *
 * <p>Every error body passes here, from the handlers ({@link ApiErrors}), from Spring's error
 * path ({@link ProblemErrorController}) and from Tomcat itself ({@link ProblemReportValve}), so a
 * message is always bounded, escaped and without a password, whoever raised it.
 */
final class Problems {

  /** Longest message sent; a message quotes the client's input only in short excerpts. */
  static final int MAX_MESSAGE = 400;
  /** Longest path quoted in {@code instance}. */
  private static final int MAX_INSTANCE = 200;
  static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

  private Problems() {}

  /** The problem for {@code status}, {@code code} and {@code message}, at {@code path} (may be null). */
  static ProblemDetail of(int status, String code, String message, String path, Map<String, Object> details) {
    String detail = BankApi.printable(Redaction.redact(String.valueOf(message)), MAX_MESSAGE);
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(status), detail);
    problem.setType(java.net.URI.create("urn:annals:bank:problem:" + code));
    HttpStatus known = HttpStatus.resolve(status);
    problem.setTitle(known == null ? "Error" : known.getReasonPhrase());
    if (path != null) {
      try {
        problem.setInstance(java.net.URI.create(BankApi.printable(path, MAX_INSTANCE)));
      } catch (IllegalArgumentException e) {
        // A path that is no URI reference once cut or escaped: the problem goes without it.
      }
    }
    problem.setProperty("error", code);
    problem.setProperty("message", detail);
    details.forEach(problem::setProperty);
    return problem;
  }

  /** {@code problem} as JSON, members in the RFC's order. */
  static byte[] body(ObjectMapper json, ProblemDetail problem) {
    ObjectNode node = json.createObjectNode();
    node.put("type", String.valueOf(problem.getType()));
    node.put("title", problem.getTitle());
    node.put("status", problem.getStatus());
    node.put("detail", problem.getDetail());
    if (problem.getInstance() != null) {
      node.put("instance", problem.getInstance().toString());
    }
    if (problem.getProperties() != null) {
      problem.getProperties().forEach((k, v) -> node.set(k, json.valueToTree(v)));
    }
    try {
      return json.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The response answering with {@code problem}, with {@code Allow} for a 405. */
  static ResponseEntity<byte[]> response(ObjectMapper json, ProblemDetail problem) {
    HttpHeaders headers = new HttpHeaders();
    headers.setContentType(PROBLEM_JSON);
    headers.setCacheControl(CacheControl.noStore());
    if (problem.getStatus() == 405 && problem.getProperties() != null && problem.getProperties().get("allow") != null) {
      headers.set(HttpHeaders.ALLOW, String.valueOf(problem.getProperties().get("allow")));
    }
    if (problem.getStatus() == 503) {
      headers.set(HttpHeaders.RETRY_AFTER, "5");
    }
    return ResponseEntity.status(problem.getStatus()).headers(headers).body(body(json, problem));
  }

  /** A fixed code for a status Spring or Tomcat answered with on their own. */
  static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 411 -> "length_required";
      case 413 -> "body_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 431 -> "header_too_large";
      case 501 -> "not_implemented";
      case 503 -> "unavailable";
      case 505 -> "http_version_not_supported";
      default -> status >= 500 ? "internal_error" : "bad_request";
    };
  }

  /** A fixed message for a status Spring or Tomcat answered with on their own; never the client's bytes. */
  static String message(int status) {
    return switch (status) {
      case 400 -> "the request is malformed: its request line, a header, the URI (a malformed %-escape, a "
          + "character that must be %-escaped, a target that is not a path) or the body's framing";
      case 404 -> "no resource at this path; docs/http-api.md lists the endpoints";
      case 405 -> "this method is not allowed here; docs/http-api.md lists the endpoints";
      case 408 -> "the request did not arrive in time";
      case 411 -> "send the body with a Content-Length";
      case 413 -> "the request body is too large";
      case 414 -> "the request target is too long";
      case 415 -> "send the body as Content-Type: application/json";
      case 431 -> "the request line and headers are too large";
      case 501 -> "this method or transfer coding is not implemented";
      case 503 -> "the server cannot serve the request now; try again later";
      case 505 -> "the server speaks HTTP/1.1";
      default -> status >= 500 ? "the server failed on this request; the server log has the details"
          : "the request cannot be served";
    };
  }
}

package dev.annals.console;

import org.springframework.http.HttpStatus;

/** A request the console turns down, with the HTTP status and one line that says why. */
final class Refusal extends RuntimeException {

  private final HttpStatus status;
  private final String title;

  private Refusal(HttpStatus status, String title, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
  }

  static Refusal badRequest(String detail) {
    return new Refusal(HttpStatus.BAD_REQUEST, "bad request", detail);
  }

  static Refusal notFound(String detail) {
    return new Refusal(HttpStatus.NOT_FOUND, "not found", detail);
  }

  static Refusal conflict(String detail) {
    return new Refusal(HttpStatus.CONFLICT, "conflict", detail);
  }

  HttpStatus status() {
    return status;
  }

  String title() {
    return title;
  }
}

package dev.annals.bank.http;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's error report, as problem details instead of its HTML page: Tomcat answers some
 * requests itself before Spring sees them (a malformed %-escape or character in the target, a
 * bad header, a head too large) and would answer them with a page naming itself and, at times,
 * the parser's message. The text here is fixed for each status ({@link Problems#message}); the
 * client's bytes are never quoted. Set as the host's error report valve by {@link BankServer}.
 */
public final class ProblemReportValve extends ErrorReportValve {

  /** Created by Tomcat, from the class name. */
  public ProblemReportValve() {
    setShowReport(false);
    setShowServerInfo(false);
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    // As Tomcat's own: only an error, only when nothing was written, only once.
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    if (status == 501 || status == 505) {
      // An unknown transfer coding (501) or another HTTP version (505): the client's request is
      // what is wrong, and the API answers bad requests with a 4xx, never a 5xx a client or a
      // monitor would take for the server's fault.
      status = 400;
      response.setStatus(status);
    }
    AtomicBoolean ioAllowed = new AtomicBoolean(true);
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
    if (!ioAllowed.get()) {
      return;
    }
    byte[] body = Problems.body(BankApi.mapper(), Problems.of(status, Problems.code(status), Problems.message(status),
        null, Map.of()));
    try {
      response.setContentType(Problems.PROBLEM_JSON.toString());
      response.setCharacterEncoding(StandardCharsets.UTF_8.name());
      response.setHeader("Cache-Control", "no-store");
      PrintWriter writer = response.getReporter();
      if (writer != null) {
        writer.write(new String(body, StandardCharsets.UTF_8));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // The client went away, or the response cannot take a body: nothing more to send.
    }
  }
}

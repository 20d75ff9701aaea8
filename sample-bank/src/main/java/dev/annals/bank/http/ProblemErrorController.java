package dev.annals.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.internal.Redaction;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error page of the servlet container, in place of Spring Boot's (a whitelabel HTML page or
 * a JSON map with {@code timestamp}, {@code trace} and {@code exception}): what fails outside the
 * handlers (Tomcat refusing a body too large, a filter failing) is answered as problem details
 * with a fixed text for its status.
 */
@RestController
final class ProblemErrorController implements ErrorController {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemErrorController.class);

  private final ObjectMapper json;

  ProblemErrorController(ObjectMapper json) {
    this.json = json;
  }

  @RequestMapping("${server.error.path:/error}")
  ResponseEntity<byte[]> error(HttpServletRequest request) {
    Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    Object path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    if (!(status instanceof Integer code) || code < 400) {
      // Asked for directly: there is no such resource.
      return Problems.response(json, Problems.of(404, "not_found", Problems.message(404), request.getRequestURI(),
          Map.of()));
    }
    if (request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable failure && code >= 500) {
      LOG.error("{} failed", path, Redaction.redacted(failure));
    }
    return Problems.response(json, Problems.of(code, Problems.code(code), Problems.message(code),
        path == null ? null : String.valueOf(path), Map.of()));
  }
}

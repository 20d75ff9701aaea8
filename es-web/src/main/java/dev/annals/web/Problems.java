package dev.annals.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.ServerResponse;

/** RFC 9457 problem details and the reasons sent to clients that are ended. */
final class Problems {

  static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A WebSocket close reason must fit in 123 bytes of UTF-8. */
  private static final int MAX_CLOSE_REASON = 123;

  private Problems() {}

  /** A request this component refuses, answered as problem JSON before anything is streamed. */
  static final class Refused extends RuntimeException {
    final int status;
    final String title;

    Refused(int status, String title, String detail) {
      super(detail);
      this.status = status;
      this.title = title;
    }
  }

  static Refused badRequest(String detail) {
    return new Refused(400, "Bad follow request", detail);
  }

  static ServerResponse response(Refused refused, String instance) {
    ObjectNode body = JSON.createObjectNode()
        .put("type", "about:blank")
        .put("title", refused.title)
        .put("status", refused.status)
        .put("detail", refused.getMessage())
        .put("instance", instance);
    ServerResponse.BodyBuilder b = ServerResponse.status(refused.status).contentType(PROBLEM_JSON);
    if (refused.status == 503) {
      b.header("Retry-After", "5");
    }
    return b.body(body.toString());
  }

  static String reasonJson(Client.Ending why, String reason) {
    return JSON.createObjectNode().put("ending", why.name().toLowerCase(Locale.ROOT))
        .put("reason", reason).toString();
  }

  static String closeReason(String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_CLOSE_REASON) {
      return reason;
    }
    int end = Math.min(reason.length(), MAX_CLOSE_REASON - 3);
    while (reason.substring(0, end).getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON - 3) {
      end--;
    }
    return reason.substring(0, end) + "...";
  }
}

package dev.annals.console;

import jakarta.servlet.DispatcherType;
import java.util.List;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.boot.servlet.autoconfigure.HttpEncodingAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * The console's Spring context: a web server, Spring MVC and Spring Security, with the
 * auto-configurations named one by one, so that nothing else on the embedding application's
 * class path (its data sources, brokers, Annals beans) is configured here.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({
    PropertyPlaceholderAutoConfiguration.class,
    TomcatServletWebServerAutoConfiguration.class,
    DispatcherServletAutoConfiguration.class,
    HttpEncodingAutoConfiguration.class,
    JacksonAutoConfiguration.class,
    HttpMessageConvertersAutoConfiguration.class,
    WebMvcAutoConfiguration.class,
    ErrorMvcAutoConfiguration.class,
    SecurityAutoConfiguration.class,
    ServletWebSecurityAutoConfiguration.class,
    SecurityFilterAutoConfiguration.class})
@EnableWebSecurity
@Import({ConsoleApi.class, ConsoleErrors.class})
class ConsoleWebConfiguration {

  private static final RequestMatcher API = PathPatternRequestMatcher.withDefaults().matcher("/api/**");

  @Bean
  Console console(ConsoleServer.Settings annalsConsoleSettings) {
    return new Console(annalsConsoleSettings);
  }

  @Bean
  PasswordEncoder consolePasswordEncoder() {
    return PasswordEncoderFactories.createDelegatingPasswordEncoder();
  }

  @Bean
  UserDetailsService consoleUsers(ConsoleServer.Settings annalsConsoleSettings) {
    List<UserDetails> users = annalsConsoleSettings.users().stream()
        .map(u -> User.withUsername(u.name()).password(u.password()).roles(u.role().name()).build())
        .toList();
    return new InMemoryUserDetailsManager(users);
  }

  /**
   * Everything needs a login. The page logs in with a form and a session (CSRF-protected); API
   * clients send HTTP Basic credentials on each request, which a browser never adds on its own
   * (no request here is answered with a Basic challenge), so those requests need no CSRF token.
   */
  @Bean
  SecurityFilterChain consoleSecurity(HttpSecurity http, ConsoleErrors errors) throws Exception {
    http
        .authorizeHttpRequests(a -> a
            // Async (the live feed) and error dispatches were checked on the request that began them.
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .requestMatchers("/error", "/login").permitAll()
            .requestMatchers(HttpMethod.GET, "/api/**").hasAnyRole(ConsoleRole.VIEWER.name(), ConsoleRole.OPERATOR.name())
            .requestMatchers("/api/**").hasRole(ConsoleRole.OPERATOR.name())
            .anyRequest().authenticated())
        .formLogin(f -> f.defaultSuccessUrl("/", true))
        .httpBasic(b -> b.authenticationEntryPoint((request, response, e) ->
            errors.writeProblem(response, HttpStatus.UNAUTHORIZED, "login required",
                "send a console user's credentials (HTTP Basic) or log in on the page")))
        .csrf(c -> c.ignoringRequestMatchers(request -> request.getHeader("Authorization") != null))
        .exceptionHandling(e -> e
            .defaultAuthenticationEntryPointFor((request, response, ex) ->
                errors.writeProblem(response, HttpStatus.UNAUTHORIZED, "login required",
                    "send a console user's credentials (HTTP Basic) or log in on the page"), API)
            .defaultAccessDeniedHandlerFor((request, response, ex) ->
                errors.writeProblem(response, HttpStatus.FORBIDDEN, "not allowed",
                    "this needs the operator role (or a valid CSRF token from the page)"), API))
        .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'")));
    return http.build();
  }
}

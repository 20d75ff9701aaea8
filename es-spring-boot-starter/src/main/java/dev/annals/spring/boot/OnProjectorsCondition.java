package dev.annals.spring.boot;

import dev.annals.projections.Projector;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when there is something to run: a {@link Projector} bean, or a publisher under
 * {@code annals.publishers} (a runner without projectors cannot be built).
 */
final class OnProjectorsCondition extends SpringBootCondition implements ConfigurationCondition {

  private static final ConfigurationPropertyName PUBLISHERS = ConfigurationPropertyName.of("annals.publishers");

  @Override
  public ConfigurationPhase getConfigurationPhase() {
    return ConfigurationPhase.REGISTER_BEAN;
  }

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    if (context.getBeanFactory() != null
        && context.getBeanFactory().getBeanNamesForType(Projector.class, true, false).length > 0) {
      return ConditionOutcome.match("found Projector beans");
    }
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(context.getEnvironment())) {
      if (source.containsDescendantOf(PUBLISHERS) == ConfigurationPropertyState.PRESENT) {
        return ConditionOutcome.match("found annals.publishers");
      }
    }
    return ConditionOutcome.noMatch("no Projector beans and no annals.publishers");
  }
}

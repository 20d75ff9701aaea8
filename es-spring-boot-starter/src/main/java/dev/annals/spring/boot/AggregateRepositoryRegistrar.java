package dev.annals.spring.boot;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventStore;
import dev.annals.core.SnapshotStore;
import java.util.List;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.ResolvableType;

/**
 * Registers an {@link AggregateRepository} bean named {@code <type bean>Repository} for each
 * {@link AggregateType} bean, typed with the aggregate type's generics so that the application
 * injects {@code AggregateRepository<Command, State, Event>}. It backs off for an aggregate type
 * when the application defines a bean of that name or a repository of those generics itself.
 *
 * <p>Runs once the application's bean definitions are known; builds nothing until a repository
 * is first needed. Each repository uses the context's {@link EventStore}, its
 * {@link SnapshotStore} when the aggregate type takes snapshots, and
 * {@code annals.repositories.*}, and the metrics and tracing of es-micrometer and es-opentelemetry
 * when they are configured; it is closed with the context (pending snapshots are written).
 */
final class AggregateRepositoryRegistrar implements BeanDefinitionRegistryPostProcessor {

  @Override
  public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
    if (!(registry instanceof ConfigurableListableBeanFactory beans)) {
      return;
    }
    for (String typeBean : beans.getBeanNamesForType(AggregateType.class, true, false)) {
      ResolvableType aggregate = aggregateTypeOf(beans, typeBean);
      boolean typed = !aggregate.hasUnresolvableGenerics();
      ResolvableType repository = typed
          ? ResolvableType.forClassWithGenerics(AggregateRepository.class, aggregate.getGenerics())
          : ResolvableType.forClass(AggregateRepository.class);
      String name = typeBean + "Repository";
      if (registry.containsBeanDefinition(name)
          || (typed && beans.getBeanNamesForType(repository, true, false).length > 0)) {
        continue;
      }
      RootBeanDefinition definition = new RootBeanDefinition(AggregateRepository.class);
      definition.setTargetType(repository);
      definition.setInstanceSupplier(() -> build(beans, typeBean));
      definition.setDestroyMethodName(AbstractBeanDefinition.INFER_METHOD);
      registry.registerBeanDefinition(name, definition);
    }
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    // Everything happens on the registry above.
  }

  private static ResolvableType aggregateTypeOf(ConfigurableListableBeanFactory beans, String name) {
    ResolvableType declared = beans.getMergedBeanDefinition(name).getResolvableType();
    if (declared == ResolvableType.NONE || declared.resolve() == null) {
      declared = ResolvableType.forClass(beans.getType(name, false));
    }
    return declared.as(AggregateType.class);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static AggregateRepository<?, ?, ?> build(ConfigurableListableBeanFactory beans, String typeBean) {
    return build(beans.getBean(typeBean, AggregateType.class), beans);
  }

  private static <C, S, E> AggregateRepository<C, S, E> build(AggregateType<C, S, E> type,
      ConfigurableListableBeanFactory beans) {
    AnnalsProperties.Repositories settings = beans.getBean(AnnalsProperties.class).repositories();
    List<Instrumentation> instrumentation = beans.getBeanProvider(Instrumentation.class).orderedStream().toList();
    AggregateRepository.Builder<C, S, E> builder = AggregateRepository.builder(type,
            Instrumentation.wrap(beans.getBean(EventStore.class), instrumentation))
        .cacheSize(settings.cacheSize())
        .maxAttempts(settings.maxAttempts());
    Instrumentation.repositoryObserver(instrumentation).ifPresent(builder::observer);
    if (type.stateType().isPresent()) {
      beans.getBeanProvider(SnapshotStore.class).ifAvailable(builder::snapshotStore);
    }
    return builder.build();
  }
}

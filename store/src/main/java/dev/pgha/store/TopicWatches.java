package dev.pgha.store;

import dev.pgha.common.concurrent.Closeables;
import dev.pgha.common.store.Subscription;
import dev.pgha.common.store.Topic;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch per path per JVM: the first listener of a topic starts a CuratorCache on its path, and every change there
 * is fanned out to all of the topic's listeners (on Curator's event thread).
 */
final class TopicWatches implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicWatches.class);

    private final CuratorFramework client;
    private final StorePaths paths;
    private final Map<Topic, CuratorCache> caches = new EnumMap<>(Topic.class);
    private final Map<Topic, List<Runnable>> listeners = new EnumMap<>(Topic.class);
    private boolean closed;

    TopicWatches(CuratorFramework client, StorePaths paths) {
        this.client = client;
        this.paths = paths;
        for (Topic t : Topic.values()) {
            listeners.put(t, new CopyOnWriteArrayList<>());
        }
    }

    synchronized Subscription subscribe(Set<Topic> topics, Runnable listener) {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
        for (Topic t : topics) {
            listeners.get(t).add(listener);
            caches.computeIfAbsent(t, this::start);
        }
        return () -> topics.forEach(t -> listeners.get(t).remove(listener));
    }

    private CuratorCache start(Topic topic) {
        CuratorCache cache = CuratorCache.build(client, path(topic));
        Runnable fanOut = () -> {
            for (Runnable l : listeners.get(topic)) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    log.error("a listener of {} failed", topic, e);
                }
            }
        };
        cache.listenable()
                .addListener(CuratorCacheListener.builder()
                        .forAll((type, oldData, data) -> fanOut.run())
                        .forInitialized(fanOut)
                        .build());
        cache.start();
        return cache;
    }

    private String path(Topic topic) {
        return switch (topic) {
            case VIEW -> paths.view();
            case SPEC -> paths.spec();
            case MEMBERS -> paths.members();
            case REMOVALS -> paths.removed();
            case KEEPERS -> paths.keepers();
            case PROXIES -> paths.proxies();
            case REQUEST -> paths.request();
            case PARAMETERS -> paths.parameters();
            case RESTARTS -> paths.restarts();
            case REINITS -> paths.reinits();
            case BACKUP -> paths.backup();
        };
    }

    @Override
    public synchronized void close() {
        closed = true;
        caches.values().forEach(Closeables::closeQuietly);
        caches.clear();
    }
}

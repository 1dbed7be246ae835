package dev.pgha.common.store;

/** A registration for store events; closing it stops them. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}

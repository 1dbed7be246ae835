package dev.pgha.common.concurrent;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The start/close guard of a component, as Curator's recipes keep it: a component starts at most once, closes at
 * most once, and a close before the start leaves nothing to release and refuses a later start.
 */
public final class Lifecycle {
    public enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    /** True the first time, from LATENT: the caller starts. False when started or closed before. */
    public boolean start() {
        return state.compareAndSet(State.LATENT, State.STARTED);
    }

    /**
     * Marks the component closed and returns what it was: the caller releases what it holds only when that is
     * STARTED (LATENT: nothing was started; CLOSED: it was released already).
     */
    public State close() {
        return state.getAndSet(State.CLOSED);
    }
}

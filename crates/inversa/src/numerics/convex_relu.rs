//! Convex training of two-layer ReLU networks (in progress on this branch).

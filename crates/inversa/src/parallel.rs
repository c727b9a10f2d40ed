//! How finely loops are split across threads. Waking a sleeping rayon worker costs microseconds;
//! a profile of 256² PDHG deblurring spent 30% of its time in the scheduler when every row was a
//! task. Tasks of at least [`MIN_TASK_ELEMENTS`] elements keep 256² images at about one task per
//! core and large images well spread.

/// Fewest elements one parallel task should get.
pub const MIN_TASK_ELEMENTS: usize = 1 << 15;

/// How many `line_len`-long lines one task should take.
pub fn lines_per_task(line_len: usize) -> usize {
    (MIN_TASK_ELEMENTS / line_len.max(1)).max(1)
}

/// How many consecutive items each parallel task takes so that `items` spread over the pool's
/// threads in about one task each (fewer tasks, fewer scratch values).
pub fn items_per_task(items: usize) -> usize {
    items.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

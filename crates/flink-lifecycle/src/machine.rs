//! The lifecycle state machine: statig states and their transitions (no IO).
//!
//! Shared storage is empty: everything the machine knows lives in the working status inside
//! the context ([`Ctx`]), which is rebuilt from the persisted status on every step. Handlers
//! read the observation, write the working status and push actions; they never act. A step
//! runs to completion: after a transition the new state's handler sees the same observation,
//! so "stop the job" is emitted in the same step that decided to upgrade.

use k8s_openapi::jiff::Timestamp;
use statig::prelude::*;

use crate::observation::{FlinkJobState, JobObservation, Observation};
use crate::rules::Ctx;
use flink_crd::status::MachineState;

/// The machine (no shared storage: see the module docs).
#[derive(Default)]
pub(crate) struct Lifecycle;

#[state_machine(
    initial = "State::deploying()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq)),
    superstate(derive(Debug)),
    after_transition = "Self::after_transition"
)]
impl Lifecycle {
    /// Everything but `deleted`: deletion and an invalid spec pre-empt whatever a state does.
    #[superstate]
    fn managed(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        context.preempt()
    }

    /// An operation (upgrade, suspend, restart, rollback, recovery, delete) in flight.
    #[superstate(superstate = "managed")]
    fn operating(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = (context, event);
        Super
    }

    #[state(superstate = "managed")]
    fn deploying(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        if context.needs_preempt() {
            return Super;
        }
        context.deploying()
    }

    #[state(superstate = "managed")]
    fn running(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        if context.needs_preempt() {
            return Super;
        }
        context.running()
    }

    #[state(superstate = "managed")]
    fn savepointing(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        if context.needs_preempt() {
            return Super;
        }
        context.savepointing()
    }

    #[state(superstate = "operating")]
    fn stopping(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        context.adopt_deletion();
        if context.needs_preempt() {
            return Super;
        }
        context.stopping()
    }

    #[state(superstate = "operating")]
    fn tearing_down(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        context.adopt_deletion();
        if context.needs_preempt() {
            return Super;
        }
        context.tearing_down()
    }

    #[state(superstate = "managed")]
    fn suspended(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        if context.needs_preempt() {
            return Super;
        }
        context.suspended()
    }

    #[state(superstate = "managed")]
    fn failed(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        if context.needs_preempt() {
            return Super;
        }
        context.failed()
    }

    #[state]
    fn deleted(context: &mut Ctx<'_>, event: &Observation) -> Outcome<State> {
        let _ = event;
        context.deleted()
    }
}

impl Lifecycle {
    fn after_transition(&mut self, source: &State, target: &State, context: &mut Ctx<'_>) {
        context.entered(to_machine_state(*source), to_machine_state(*target));
    }
}

/// The persisted name of a statig state.
pub(crate) fn to_machine_state(state: State) -> MachineState {
    match state {
        State::Deploying { .. } => MachineState::Deploying,
        State::Running { .. } => MachineState::Running,
        State::Savepointing { .. } => MachineState::Savepointing,
        State::Stopping { .. } => MachineState::Stopping,
        State::TearingDown { .. } => MachineState::TearingDown,
        State::Suspended { .. } => MachineState::Suspended,
        State::Failed { .. } => MachineState::Failed,
        State::Deleted { .. } => MachineState::Deleted,
    }
}

/// The statig state for a persisted name.
pub(crate) fn from_machine_state(state: MachineState) -> State {
    match state {
        MachineState::Deploying => State::deploying(),
        MachineState::Running => State::running(),
        MachineState::Savepointing => State::savepointing(),
        MachineState::Stopping => State::stopping(),
        MachineState::TearingDown => State::tearing_down(),
        MachineState::Suspended => State::suspended(),
        MachineState::Failed => State::failed(),
        MachineState::Deleted => State::deleted(),
    }
}

/// The outcome "go to `state`".
pub(crate) fn go(state: MachineState) -> Outcome<State> {
    Transition(from_machine_state(state))
}

/// Most transitions one step may take (a step runs to completion; this bounds a bug).
const MAX_TRANSITIONS_PER_STEP: usize = 8;

/// Runs the machine from `state` on the context until it rests.
pub(crate) fn run(state: MachineState, ctx: &mut Ctx<'_>, obs: &Observation) {
    // Rebuilt at the persisted state without serde: statig's uninitialized machine takes its
    // state directly, and `init` runs entry actions, of which this machine has none.
    let mut sm = Lifecycle.uninitialized_state_machine();
    *sm.state_mut() = from_machine_state(state);
    let mut sm = sm.init_with_context(ctx);
    for _ in 0..MAX_TRANSITIONS_PER_STEP {
        ctx.transitioned = false;
        sm.handle_with_context(obs, ctx);
        if !ctx.transitioned {
            break;
        }
    }
}

/// Whether a job observation is our job in `state`.
pub(crate) fn job_in(obs: &Observation, id: Option<&str>, state: FlinkJobState) -> bool {
    matches!(&obs.job, JobObservation::Found(f) if Some(f.id.as_str()) == id && f.state == state)
}

/// Seconds from `a` to `b` (negative if `b` is earlier).
pub(crate) fn secs_between(a: Timestamp, b: Timestamp) -> i64 {
    b.as_second() - a.as_second()
}

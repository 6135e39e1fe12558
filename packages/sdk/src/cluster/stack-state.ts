// What an orchestrator knows about a stack, read at once: its services, their tasks and the
// nodes. Swarm's readers (the Engine API, the docker CLI) and Compose's give the same shape.
import type { SwarmService, SwarmTask } from './docker-output.js';

/** A node of the swarm, as the manager sees it (the CLI's words: Ready, Active, Leader…). */
export interface SwarmNodeState {
  id: string;
  hostname: string;
  /** Ready, Down, Unknown… */
  state: string;
  /** Active, Pause or Drain. */
  availability: string;
  /** Leader, Reachable or Unreachable for managers; undefined for workers. */
  managerStatus: string | undefined;
}

/** Swarm's view of one stack. */
export interface StackState {
  services: SwarmService[];
  tasks: SwarmTask[];
  nodes: SwarmNodeState[];
}

/** Reads Swarm's view of a stack. */
export interface StackReader {
  /** The stack's services (none: the stack is not deployed). */
  services(stackName: string, signal?: AbortSignal): Promise<SwarmService[]>;
  /** Services, their tasks and the nodes, read at once. */
  read(stackName: string, signal?: AbortSignal): Promise<StackState>;
}

/**
 * A partition assigner for one consumer group whose members subscribe to different topics.
 *
 * KafkaBuffer runs one kafkajs consumer per subscribed topic, all in the one consumer group of
 * the ingesters. kafkajs's built-in round-robin assigner hands the partitions of the *leader's*
 * topics to *every* member, whatever each member subscribed to, and members drop what they did
 * not subscribe to — so with mixed subscriptions some partitions would be consumed by nobody.
 * This assigner reads each member's subscription from its join metadata and gives every
 * partition of a topic to a member that subscribed to it, least-loaded first.
 */
import { AssignerProtocol, type GroupMemberAssignment, type PartitionAssigner } from 'kafkajs';

export const SUBSCRIPTION_ASSIGNER_NAME = 'MeshtelSubscriptionRoundRobin';
const VERSION = 0;

/**
 * A member whose metadata does not decode is treated as subscribed like the leader, which is
 * what kafkajs's own assigner assumes for everyone.
 */
function subscribedTopics(metadata: Buffer): readonly string[] | undefined {
  try {
    return AssignerProtocol.MemberMetadata.decode(metadata)?.topics;
  } catch {
    return undefined;
  }
}

export const subscriptionAwareAssigner: PartitionAssigner = ({ cluster }) => ({
  name: SUBSCRIPTION_ASSIGNER_NAME,
  version: VERSION,

  async assign({ members, topics: leaderTopics }) {
    const subscriptions = new Map<string, readonly string[]>();
    for (const m of members) subscriptions.set(m.memberId, subscribedTopics(m.memberMetadata) ?? leaderTopics);
    const allTopics = [...new Set([...subscriptions.values()].flat())].sort();
    // The leader only tracks metadata of its own topics; learn the partitions of the others.
    await cluster.addMultipleTargetTopics(allTopics);

    const load = new Map<string, number>();
    const assignment = new Map<string, Record<string, number[]>>();
    const memberIds = [...subscriptions.keys()].sort();
    for (const id of memberIds) {
      load.set(id, 0);
      assignment.set(id, {});
    }

    for (const topic of allTopics) {
      const eligible = memberIds.filter((id) => subscriptions.get(id)?.includes(topic));
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      for (const partition of partitions) {
        let chosen = eligible[0];
        for (const id of eligible) if ((load.get(id) ?? 0) < (load.get(chosen) ?? 0)) chosen = id;
        if (chosen === undefined) break;
        load.set(chosen, (load.get(chosen) ?? 0) + 1);
        const perTopic = assignment.get(chosen) ?? {};
        (perTopic[topic] ??= []).push(partition);
        assignment.set(chosen, perTopic);
      }
    }

    return memberIds.map(
      (memberId): GroupMemberAssignment => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: assignment.get(memberId) ?? {},
          userData: Buffer.alloc(0),
        }),
      }),
    );
  },

  protocol({ topics }) {
    return {
      name: SUBSCRIPTION_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.alloc(0) }),
    };
  },
});

// The stack's outputs: what an operator (and the etcd-ha command line) needs to find.
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { MemberHostPolicy } from '../member-host-policy';
import type { ControlPlaneHostPolicy } from '../control-plane-host-policy';
import type { Alarms } from './alarms';
import type { Store } from './store';
import type { Workflows } from './workflows';

export function addOutputs(stack: Stack, parts: { readonly store: Store; readonly workflows: Workflows; readonly hostPolicy: MemberHostPolicy; readonly controlPlaneHostPolicy: ControlPlaneHostPolicy; readonly alarms: Alarms }): void {
  const { store, workflows, hostPolicy, alarms } = parts;
  new CfnOutput(stack, 'ProvisionClusterStateMachineArn', {
    description: 'Start an execution with a cluster spec as input',
    value: workflows.provisionCluster.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'ReplaceMemberStateMachineArn', {
    description: 'Start an execution with {"clusterName", "failedMember"} (or {"failedInstanceId"}) as input; EventBridge starts it on instance failures',
    value: workflows.replaceMember.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'SetMaintenanceStateMachineArn', {
    description: 'Pause or resume automatic healing: {"clusterName", "action": "pause"|"resume", "reason", "by"} (etcd-ha pause|resume)',
    value: workflows.setMaintenance.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'CheckClusterHealthStateMachineArn', {
    description: 'A cluster\'s record and live health, read-only: {"clusterName"} (etcd-ha status)',
    value: workflows.checkClusterHealth.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'DeleteClusterStateMachineArn', {
    description: 'Stop a cluster and delete its secrets and record: {"clusterName", "confirm": clusterName, "by"}; without confirm a dry run (etcd-ha delete)',
    value: workflows.deleteCluster.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'BackupClusterStateMachineArn', {
    description: 'Back up a cluster: {"clusterName"} (etcd-ha backup); {} backs up every recorded cluster (the schedule)',
    value: workflows.backupCluster.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'DrillRestoreStateMachineArn', {
    description: 'Drill a restore: {"clusterName"} (etcd-ha drill); {} drills every recorded cluster (the schedule)',
    value: workflows.drillRestore.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'RestoreClusterStateMachineArn', {
    description: 'Restore a cluster from a backup: {"clusterName", "snapshot"?, "hosts"?, "confirm": clusterName, "by"}; without confirm a dry run (etcd-ha restore)',
    value: workflows.restoreCluster.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'ScaleClusterStateMachineArn', {
    description: 'Grow or shrink a cluster one member at a time: {"clusterName", "members": odd size, "allowSingleMember"?, "instances"?: [new members\' instance IDs]} (etcd-ha scale)',
    value: workflows.scaleCluster.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'AdoptClusterStateMachineArn', {
    description: 'Take over a kubeadm single-member etcd: {"clusterName", "member": {"name", "instanceId"}, "confirm"?: clusterName}; without confirm a dry run (etcd-ha adopt)',
    value: workflows.adoptCluster.stateMachine.stateMachineArn,
  });
  // ---- ConnectControlPlane ----
  new CfnOutput(stack, 'ConnectControlPlaneStateMachineArn', {
    description: 'Connect the control plane: {"clusterName", "instanceIds"?: [control-plane instance IDs; default: those tagged etcd-ha:control-plane=<cluster>]} (etcd-ha connect-control-plane)',
    value: workflows.connectControlPlane.stateMachine.stateMachineArn,
  });
  new CfnOutput(stack, 'ControlPlaneHostPolicyArn', {
    description: "Attach to the control-plane hosts' instance role (with AmazonSSMManagedInstanceCore)",
    value: parts.controlPlaneHostPolicy.policy.managedPolicyArn,
  });
  new CfnOutput(stack, 'SnapshotBucketName', { description: 'Snapshots taken before each membership change (SSE-KMS)', value: store.snapshotBucket.bucketName });
  new CfnOutput(stack, 'MemberHostPolicyArn', {
    description: "Attach to the member hosts' instance role (with AmazonSSMManagedInstanceCore)",
    value: hostPolicy.policy.managedPolicyArn,
  });
  new CfnOutput(stack, 'RegistryTableName', { description: 'Cluster records and locks', value: store.registryTable.tableName });
  new CfnOutput(stack, 'SecretsKeyArn', { description: "KMS key of the clusters' secrets", value: store.secretsKey.keyArn });
  new CfnOutput(stack, 'AlarmTopicArn', {
    description: 'Every alarm of the stack notifies this SNS topic (alarmTopicArn, or the one the stack created): subscribe to it',
    value: alarms.alarmTopic.topicArn,
  });
}

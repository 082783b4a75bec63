/**
 * Compliance (KYC) workflows: every investor gets one at creation (`cw_...`, an identity check and
 * a screening check). A decision closes it and emits `kyc.verification.approved` or the
 * sandbox-only `kyc.verification.rejected`, carrying the workflow as "Get compliance status for an
 * investor" shows it. A provider result submitted through the API updates one check; the caller
 * (the route) turns the outcome into the investor's KYC decision, so this module never reaches
 * back into the investor service.
 */
import type { Clock } from '../core/clock.js'
import { NotFoundError, withParam } from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import type { ComplianceCheck, ComplianceWorkflow, Investor, SandboxState } from '../core/state.js'
import { copyJson } from '../core/resource.js'

/** A provider's result for one check, as `POST .../compliance/submit` takes it. */
export interface CheckSubmission {
  workflow_id: string
  check_type: string
  provider_payload: Record<string, unknown>
}

export interface ComplianceService {
  /** Opens the investor's KYC workflow, its checks pending. */
  start(investor: Investor): ComplianceWorkflow
  /** Closes the investor's workflow with a decision and emits its `kyc.verification.*` event. */
  decide(investor: Investor, decision: 'approved' | 'rejected', reason: string | null): void
  /** The latest workflow, as "Get compliance status for an investor" shows it. */
  status(investorId: string): Record<string, unknown>
  /** One workflow with its checks, as "Get a compliance workflow's status" shows it. */
  workflow(investorId: string, workflowId: string): Record<string, unknown>
  /**
   * Records a provider result on a check. Returns the check as the API answers it, and the KYC
   * decision it implies: `rejected` once a check failed, `approved` once every check is clear.
   */
  submit(
    investorId: string,
    submission: CheckSubmission,
  ): { result: Record<string, unknown>; decision?: 'approved' | 'rejected' }
}

const providers: Record<string, string> = {
  identity_verification: 'persona-identity',
  tax_id_verification: 'persona-taxid',
  screening: 'persona-screening',
  business_verification: 'persona-business',
}

/** Provider statuses that pass a check, and those that fail it (the sandbox's magic values). */
const passing = new Set(['approved', 'completed', 'clear', 'passed'])
const failing = new Set(['declined', 'failed', 'rejected'])

const externalStatus: Record<ComplianceWorkflow['status'], string> = {
  in_progress: 'running',
  pending_review: 'awaiting_review',
  approved: 'approved',
  rejected: 'declined',
  suspended: 'suspended',
  expired: 'expired',
}

/** Creates the compliance service. */
export function createComplianceService(deps: {
  state: SandboxState
  clock: Clock
  bus: EventBus
}): ComplianceService {
  const { state, clock, bus } = deps
  const now = () => isoSeconds(clock.now())

  function latest(investorId: string): ComplianceWorkflow {
    const id = state.investors.get(investorId)?.compliance_workflow_id
    const workflow = id ? state.complianceWorkflows.get(id) : undefined
    if (!workflow)
      throw withParam(
        new NotFoundError('compliance workflow for investor', investorId),
        'investor_id',
      )
    return workflow
  }

  function find(investorId: string, workflowId: string): ComplianceWorkflow {
    const workflow = state.complianceWorkflows.get(workflowId)
    if (!workflow || workflow.investor_id !== investorId)
      throw withParam(new NotFoundError('compliance workflow', workflowId), 'workflow_id')
    return workflow
  }

  function statusView(workflow: ComplianceWorkflow): Record<string, unknown> {
    return copyJson({
      id: workflow.id,
      object: 'compliance_workflow',
      livemode: false,
      investor_id: workflow.investor_id,
      workflow_status: workflow.status.toUpperCase(),
      workflow_type: workflow.workflow_type,
      risk_level: workflow.risk_level,
      status: externalStatus[workflow.status],
      checks: workflow.checks.map((c) => ({
        type: c.check_type,
        status: c.status,
        completed_at: c.completed_at,
      })),
      created_at: workflow.created_at,
      updated_at: workflow.updated_at,
    })
  }

  function check(workflow: ComplianceWorkflow, type: string): ComplianceCheck {
    let found = workflow.checks.find((c) => c.check_type === type)
    if (!found) {
      found = {
        check_type: type,
        status: 'pending',
        provider: providers[type] ?? 'sandbox',
        external_id: null,
        started_at: now(),
        completed_at: null,
      }
      workflow.checks.push(found)
    }
    return found
  }

  return {
    start(investor) {
      const at = now()
      const workflow: ComplianceWorkflow = {
        id: createId('cw'),
        investor_id: investor.id,
        workflow_type: 'kyc',
        status: 'in_progress',
        risk_level: null,
        checks: ['identity_verification', 'screening'].map((type) => ({
          check_type: type,
          status: 'pending' as const,
          provider: providers[type]!,
          external_id: null,
          started_at: at,
          completed_at: null,
        })),
        created_at: at,
        updated_at: at,
      }
      state.complianceWorkflows.set(workflow.id, workflow)
      return workflow
    },
    decide(investor, decision) {
      const workflow = latest(investor.id)
      const at = now()
      if (decision === 'approved') {
        for (const c of workflow.checks) {
          if (c.status === 'pending' || c.status === 'failed') {
            c.status = 'clear'
            c.completed_at = at
          }
        }
      } else if (!workflow.checks.some((c) => c.status === 'failed')) {
        const identity = check(workflow, 'identity_verification')
        identity.status = 'failed'
        identity.completed_at = at
      }
      workflow.status = decision
      workflow.risk_level = decision === 'approved' ? 'low' : 'high'
      workflow.updated_at = at
      if (bus.dropsEmissions()) return // muted: the event would be dropped, its view unread
      const view = statusView(workflow)
      if (decision === 'approved') bus.emit('kyc.verification.approved', view as never)
      else bus.emit('kyc.verification.rejected', view as never)
    },
    status: (investorId) => statusView(latest(investorId)),
    workflow(investorId, workflowId) {
      const workflow = find(investorId, workflowId)
      return copyJson({
        id: workflow.id,
        status: workflow.status,
        risk_level: workflow.risk_level,
        checks: workflow.checks,
        created_at: workflow.created_at,
        updated_at: workflow.updated_at,
      })
    },
    submit(investorId, submission) {
      const workflow = find(investorId, submission.workflow_id)
      const target = check(workflow, submission.check_type)
      const payload = submission.provider_payload
      const said = String(payload.status ?? payload.verification_status ?? '').toLowerCase()
      const reference = payload.inquiry_id ?? payload.reference_id ?? payload.transaction_id
      target.external_id = typeof reference === 'string' ? reference : target.external_id
      target.status = passing.has(said) ? 'clear' : failing.has(said) ? 'failed' : 'pending'
      target.completed_at = target.status === 'pending' ? null : now()
      workflow.updated_at = now()
      const result = {
        workflow_id: workflow.id,
        check_type: target.check_type,
        status: target.status,
        provider: target.provider,
        external_id: target.external_id,
        verification_url:
          target.status === 'pending' && target.external_id
            ? `https://withpersona.com/verify?inquiry-id=${encodeURIComponent(target.external_id)}`
            : null,
        verification_token: null,
      }
      if (workflow.checks.some((c) => c.status === 'failed'))
        return { result, decision: 'rejected' }
      if (workflow.checks.every((c) => c.status === 'clear'))
        return { result, decision: 'approved' }
      return { result }
    },
  }
}

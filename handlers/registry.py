"""The one place that lists every flow and global action of the bot."""

from __future__ import annotations

from handlers.claims import death as claim_death
from handlers.claims import decisions as claim_decisions
from handlers.claims import docs as claim_docs
from handlers.claims import follow as claim_follow
from handlers.claims import officer as claim_officer
from handlers.claims import planner as claim_planner
from handlers.claims import reporters as claim_reporters
from handlers.claims import withdraw as claim_withdraw
from handlers.claims.report import ClaimReport
from handlers.consent import consent_form, consent_review
from handlers.consent import worker_consent as consent
from handlers.contributions import payments, receipt_review
from handlers.engine.core import Core, Todo
from handlers.officer import decisions
from handlers.officer import menu as officer
from handlers.officer import todos as officer_todos
from handlers.registration import code_actions, link_confirm, nip_claims
from handlers.registration.asn import AsnRegistration
from handlers.registration.link import LinkFlow
from handlers.registration.message_gone import gone_action
from handlers.registration.start import MenuFlow, PrivacyFlow
from handlers.workers import membership, worker_details
from handlers.workers.enrolment import WorkerEnrolment
from handlers.workers.my_workers import MyWorkers


def install(core: Core) -> Core:
    for flow in (PrivacyFlow(), MenuFlow(), AsnRegistration(), WorkerEnrolment(), MyWorkers(),
                 consent.WorkerConsentFlow(), consent.PaperConsent(), officer.OfficerMenu(), officer.RecordKpj(),
                 payments.PaymentForm(), receipt_review.RejectReceipt(), decisions.RejectAsn(),
                 membership.FixMembership(), consent_review.RejectConsent(), ClaimReport(), claim_docs.ClaimDocs(),
                 claim_docs.ClaimHub(), claim_decisions.AskDocument(), claim_decisions.RecordPayout(),
                 claim_decisions.RejectClaim(), claim_death.AcceptDeath(), claim_death.ReverseDeath(),
                 claim_officer.ClaimView(), claim_withdraw.ClaimWithdraw(), claim_follow.ClaimFollow(), LinkFlow()):
        core.add_flow(flow)
    core.add_action("asn.ok", officer.approve_action)
    core.add_action("asn.no", officer.reject_action)
    core.add_action("kpj", officer.kpj_action)
    core.add_action("w.link", consent.new_link_action)
    core.add_action("w.paper", consent.paper_action)
    core.add_action("paid", payments.paid_action)
    core.add_action("pay", payments.pay_action)
    core.add_action("later", payments.later_action)
    core.add_action("rcpt.ok", receipt_review.verify_action)
    core.add_action("rcpt.no", receipt_review.reject_action)
    core.add_action("rcpt.view", officer_todos.view_receipt_action)
    core.add_action("fix", membership.fix_action)
    core.add_action("nip.move", nip_claims.move_action)
    core.add_action("cf.ok", consent_review.accept_action)
    core.add_action("cf.no", consent_review.reject_action)
    core.add_action("cf.view", consent_review.view_action)
    core.add_action("w.form", consent_form.blank_form_action)
    core.add_action("w.view", worker_details.worker_details_action)
    core.add_action("msg.gone", gone_action)
    core.add_command("arrears", receipt_review.arrears_command)
    core.add_command("claim", claim_docs.claim_command)
    core.add_action("klm.docs", claim_docs.docs_action)
    core.add_action("klm.open", claim_officer.open_action)
    core.add_action("klm.fwd", claim_officer.forward_action)
    core.add_action("klm.ask", claim_officer.form_action("claim_ask"))
    core.add_action("klm.pay", claim_officer.form_action("claim_payout"))
    core.add_action("klm.rej", claim_officer.form_action("claim_reject"))
    core.add_action("klm.dead", claim_officer.form_action("claim_death"))
    core.add_action("klm.undo", claim_officer.form_action("claim_undo"))
    core.add_action("klm.main", claim_reporters.main_action)
    core.add_action("klm.files", claim_officer.files_action)
    core.add_todo(Todo(officer.PENDING, "officer.pending_asns", officer.count_pending, officer.pending_list))
    core.add_todo(Todo(officer.BPJS, "officer.awaiting_bpjs", officer.count_awaiting_bpjs, officer.bpjs_list))
    core.add_todo(Todo(consent_review.REVIEW_STEP, "identity.todo_consent", consent_review.count_waiting,
                       consent_review.waiting_list))
    core.add_todo(Todo(officer_todos.RECEIPTS, "journey.todo.receipts", officer_todos.count_receipts,
                       officer_todos.receipts_list))
    core.add_todo(Todo(officer_todos.LAPSED, "journey.todo.lapsed", officer_todos.count_lapsed,
                       officer_todos.lapsed_list))
    core.add_action("code.me", code_actions.mine_action)
    core.add_action("code.no", code_actions.not_me_action)
    core.add_action("code.unlock", code_actions.unlock_action)
    core.add_action("lnk.ok", link_confirm.allow_action)
    core.add_action("lnk.home", link_confirm.allow_home_action)
    core.add_action("lnk.cut", link_confirm.cut_action)
    core.add_todo(Todo("claims", "claims.todo", claim_officer.count_claims, claim_officer.claims_screen))
    core.add_planner(claim_planner.plan_claims)
    core.add_todo(Todo(code_actions.LOCKS, "linkguard.todo", code_actions.count_locks, code_actions.locks_screen))
    return core

"""The one place that lists every flow and global action of the bot."""

from __future__ import annotations

from handlers import consent, consent_form, consent_review, nip_claims, officer, payments, worker_details
from handlers.asn import AsnRegistration
from handlers.core import Core, Todo
from handlers.my_workers import MyWorkers
from handlers.start import MenuFlow, PrivacyFlow
from handlers.worker import WorkerEnrolment


def install(core: Core) -> Core:
    for flow in (PrivacyFlow(), MenuFlow(), AsnRegistration(), WorkerEnrolment(), MyWorkers(),
                 consent.WorkerConsentFlow(), consent.PaperConsent(), officer.OfficerMenu(), officer.RecordKpj(),
                 payments.PaymentForm(), payments.RejectReceipt(), consent_review.RejectConsent()):
        core.add_flow(flow)
    core.add_action("asn.ok", officer.approve_action)
    core.add_action("asn.no", officer.reject_action)
    core.add_action("kpj", officer.kpj_action)
    core.add_action("w.link", consent.new_link_action)
    core.add_action("w.paper", consent.paper_action)
    core.add_action("paid", payments.paid_action)
    core.add_action("pay", payments.pay_action)
    core.add_action("later", payments.later_action)
    core.add_action("rcpt.ok", payments.verify_action)
    core.add_action("rcpt.no", payments.reject_action)
    core.add_action("nip.move", nip_claims.move_action)
    core.add_action("cf.ok", consent_review.accept_action)
    core.add_action("cf.no", consent_review.reject_action)
    core.add_action("cf.view", consent_review.view_action)
    core.add_action("w.form", consent_form.blank_form_action)
    core.add_action("w.view", worker_details.worker_details_action)
    core.add_command("arrears", payments.arrears_command)
    core.add_todo(Todo(officer.PENDING, "officer.pending_asns", officer.count_pending, officer.pending_list))
    core.add_todo(Todo(officer.BPJS, "officer.awaiting_bpjs", officer.count_awaiting_bpjs, officer.bpjs_list))
    core.add_todo(Todo(consent_review.TODO, "identity.todo_consent", consent_review.count_waiting,
                       consent_review.waiting_list))
    return core

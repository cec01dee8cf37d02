"""The one place that lists every flow and global action of the bot."""

from __future__ import annotations

from handlers import consent, decisions, membership, officer, officer_todos, payments
from handlers.asn import AsnRegistration
from handlers.core import Core, Todo
from handlers.my_workers import MyWorkers
from handlers.start import MenuFlow, PrivacyFlow
from handlers.worker import WorkerEnrolment


def install(core: Core) -> Core:
    for flow in (PrivacyFlow(), MenuFlow(), AsnRegistration(), WorkerEnrolment(), MyWorkers(),
                 consent.WorkerConsentFlow(), consent.PaperConsent(), officer.OfficerMenu(), officer.RecordKpj(),
                 payments.PaymentForm(), payments.RejectReceipt(), decisions.RejectAsn(),
                 membership.FixMembership()):
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
    core.add_action("rcpt.view", officer_todos.view_receipt_action)
    core.add_action("fix", membership.fix_action)
    core.add_command("arrears", payments.arrears_command)
    core.add_todo(Todo(officer.PENDING, "officer.pending_asns", officer.count_pending, officer.pending_list))
    core.add_todo(Todo(officer.BPJS, "officer.awaiting_bpjs", officer.count_awaiting_bpjs, officer.bpjs_list))
    core.add_todo(Todo(officer_todos.RECEIPTS, "journey.todo.receipts", officer_todos.count_receipts,
                       officer_todos.receipts_list))
    core.add_todo(Todo(officer_todos.LAPSED, "journey.todo.lapsed", officer_todos.count_lapsed,
                       officer_todos.lapsed_list))
    return core

"""Seeded logs for the gaps report: questions about topics the documents miss, planted among
background questions, written through the real stores (refusal log, feedback, conversations).

Two pools that share nothing: the *tune* log (its planted topics, and the default golden set as
background) is what ``benchmarks/tune_gaps.py`` chose ``gaps.distance_threshold`` on; the
*test* log (other planted topics, the Defra golden set as background) is what the tests check.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.types import Answer
from ui.conversations import ConversationStore
from ui.feedback import FeedbackStore
from ui.gaps.log import RefusalLog

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAYS = 30

TEST_TOPICS: dict[str, list[str]] = {
    "council_tax_discounts": [
        "Can a resident who lives alone get money off their council tax?",
        "How much is the single person discount on council tax?",
        "Is there a council tax reduction for people on a low income?",
        "My resident's son is a full-time student, does that change their council tax bill?",
        "Who qualifies for a council tax exemption?",
        "What council tax discount applies to an empty property?",
        "Can someone with a severe mental impairment be disregarded for council tax?",
        "How do I apply the council tax reduction scheme for a pensioner?",
        "Do care leavers pay council tax?",
        "A resident on 07700 900123 wants to know if they can backdate a single person discount",
        "What evidence do we need before granting a council tax discount?",
        "Is there a disabled band reduction for council tax?",
        "How is council tax support worked out for working-age claimants?",
        "Do second homes get a council tax discount or a premium?",
        "Can an annexe occupied by a relative be exempt from council tax?",
        "When does a council tax discount end after someone moves in?",
        "Are apprentices counted when working out the single occupier discount?",
        "What happens to council tax when the only occupant goes into a care home?",
        "How far back can a council tax reduction claim be backdated?",
        "Does a student household pay any council tax at all?",
        "Which residents are disregarded when counting adults for council tax?",
        "Can we reduce council tax for hardship under section 13A?",
        "Is there a discount on council tax for carers living with the person they care for?",
        "A family at SW1A 1AA asked whether their council tax reduction was applied correctly",
        "What is the council tax premium on long-term empty homes?",
        "How do we check a single person discount claim is genuine?",
    ],
    "pest_control": [
        "Does the council deal with rats in a resident's garden?",
        "How much does the council charge to remove a wasps' nest?",
        "There are mice in a council flat, who do we send?",
        "Can residents get free pest control for rats?",
        "What should a tenant do about cockroaches in their kitchen?",
        "Who treats bedbugs in temporary accommodation?",
        "Is there a charge for a pest control visit for mice?",
        "How quickly does pest control respond to a rat infestation?",
        "Do we remove bees or refer the caller to a beekeeper?",
        "A resident emailed pests@example.org about fleas after their cat died, what can we offer?",
        "Who is responsible for rats coming from a neighbouring property?",
        "Does pest control cover squirrels in the loft?",
        "What poison do the pest control officers use for rodents?",
        "Can the council force a landlord to deal with a mouse problem?",
        "Will the council treat a wasp nest in a school playground?",
        "How many visits are included in a rat treatment?",
        "Are pigeons something our pest control service deals with?",
        "Is pest control free for people receiving benefits?",
        "What do we advise about rats near the food bins?",
        "Who do I book an ant treatment with?",
        "Can pest control come out at the weekend for a hornets' nest?",
        "What is the process for reporting vermin on council land?",
        "Do we treat moles on private lawns?",
        "A caller says rats are nesting under her decking, is that our job?",
        "How do we handle a bedbug outbreak in a hostel?",
        "What does the council charge for a cockroach treatment?",
    ],
    "taxi_licensing": [
        "How does someone get a private hire driver licence?",
        "What checks do taxi drivers need before we license them?",
        "How long does a hackney carriage licence last?",
        "Do private hire drivers need an enhanced DBS check?",
        "What is the knowledge test for taxi drivers?",
        "Can a taxi driver with penalty points still be licensed?",
        "How much does it cost to renew a private hire vehicle licence?",
        "What age limit applies to licensed taxi vehicles?",
        "Does a minicab operator need a licence from the council?",
        "A driver rang from 020 7946 0018 asking why his hackney licence renewal is late",
        "What medical standard must taxi drivers meet?",
        "Can we suspend a taxi licence straight away for safeguarding reasons?",
        "Do taxi drivers have to complete disability awareness training?",
        "How are taxi fares set in the district?",
        "What signage must a private hire car display?",
        "Can a licensed cab work in a neighbouring council's area?",
        "Is an English language test required for taxi drivers?",
        "How often do licensed taxis need a vehicle inspection?",
        "What convictions stop someone getting a private hire licence?",
        "Do we license rickshaws or pedicabs?",
        "Can a taxi refuse to take a guide dog?",
        "How do we handle a complaint about a licensed taxi driver?",
        "What insurance does a private hire vehicle need?",
        "Are electric vehicles required for new taxi licences?",
        "How many hackney carriage plates does the council issue?",
        "What is the appeal route if we refuse a taxi driver licence?",
    ],
}

TUNE_TOPICS: dict[str, list[str]] = {
    "bins_and_garden_waste": [
        "My resident's bin wasn't emptied this week, what do they do?",
        "How do I report a missed bin collection?",
        "How much is the garden waste subscription?",
        "When is the brown bin collected over Christmas?",
        "Can a household have a second recycling bin?",
        "What goes in the green bin?",
        "Do we collect garden waste in winter?",
        "A resident wants a replacement wheelie bin after theirs was stolen",
        "Is there a charge for a new bin?",
        "What day are bins collected on Station Road?",
        "How do I renew the garden waste permit?",
        "Can we collect bins from the back of the property for a disabled resident?",
        "Why was the recycling left because it was contaminated?",
        "Are food waste caddies free?",
        "How do residents book a bulky waste collection?",
        "What size bin does a family of six get?",
        "Is glass collected at the kerbside?",
        "A resident at LS1 4AP says the bin crew damaged her car",
        "Can I cancel my garden waste subscription and get a refund?",
        "How often are black bins emptied?",
        "Do flats have communal recycling collections?",
        "Where do I get extra recycling sacks?",
    ],
    "parking_permits": [
        "How much is a resident parking permit?",
        "Can visitors get a temporary parking permit?",
        "How do I apply for a parking permit for my street?",
        "Is there a discount on parking permits for electric cars?",
        "Can a carer get a parking permit to visit a client?",
        "How many parking permits can one household have?",
        "What happens if a resident parks in a permit zone without a permit?",
        "Can I get a refund on an unused parking permit?",
        "Does a blue badge holder need a resident permit?",
        "How long does a parking permit application take?",
        "Can businesses buy permits in a controlled parking zone?",
        "A resident on 01632 960 983 lost their parking permit, how do they replace it?",
        "How do we introduce a new residents' parking scheme?",
        "Are permits needed in the evenings and at weekends?",
        "Can a tradesperson get a parking dispensation for building work?",
        "Do motorbikes need a parking permit?",
        "How do residents change the car registered on their permit?",
        "Is the permit price higher for diesel vehicles?",
        "What proof of address do we need for a parking permit?",
        "Can someone renting a room get a resident permit?",
        "Are school staff allowed permits for the zone near the school?",
        "How much are visitor parking vouchers?",
    ],
    "allotments": [
        "How long is the waiting list for an allotment?",
        "How much does an allotment plot cost a year?",
        "Can residents keep chickens on an allotment?",
        "How do I put my name down for an allotment?",
        "Are half plots available at the allotment sites?",
        "Can an allotment tenancy be passed to a family member?",
        "Is there a discount on allotment rent for pensioners?",
        "What are the rules about sheds on allotments?",
        "Can an allotment holder be evicted for not cultivating the plot?",
        "Do allotments have a water supply?",
        "Can a community group rent an allotment?",
        "A resident emailed plots@example.com asking about bonfires on allotments",
        "Are bees allowed on allotment plots?",
        "When do allotment rents have to be paid?",
        "Can I sell produce grown on my allotment?",
        "Who maintains the paths and hedges at allotment sites?",
        "Is there an accessible raised-bed allotment for disabled gardeners?",
        "How many allotment sites does the council run?",
        "Can I use a hosepipe on my allotment?",
        "What happens if an allotment neighbour leaves their plot overgrown?",
        "Are ponds permitted on an allotment?",
        "Do we offer starter plots to new allotment holders?",
    ],
}


# Written after the method was settled, and never tuned on: a clean measure of new topics.
HOLDOUT_TOPICS: dict[str, list[str]] = {
    "noise_complaints": [
        "A neighbour plays loud music every night, what can the council do?",
        "How do residents report a noise nuisance?",
        "Is a barking dog a statutory nuisance?",
        "Can we serve an abatement notice for noise from a pub?",
        "What hours can building work make noise?",
        "Does the out-of-hours noise team visit at weekends?",
        "How do we record evidence of noise from a flat upstairs?",
        "Is there an app for residents to record noise?",
        "Can the council take away a neighbour's sound system?",
        "A resident complains about a car alarm going off all night",
        "What counts as excessive noise from a party?",
        "Who deals with noise from a factory next to houses?",
        "How long does a noise complaint investigation take?",
        "Can a landlord be made to stop tenants making noise?",
        "Are church bells exempt from noise complaints?",
        "What happens if someone ignores a noise abatement notice?",
        "How are complaints about noisy fireworks handled?",
        "Can we act on noise from a delivery depot at night?",
        "Is a cockerel crowing at dawn a nuisance we investigate?",
        "A tenant on 07700 900456 says the noise next door is unbearable",
    ],
    "school_admissions": [
        "When is the deadline for primary school applications?",
        "How are school places allocated when a school is oversubscribed?",
        "Can a parent appeal a secondary school place decision?",
        "What is the catchment area for the local primary school?",
        "Do siblings get priority for a school place?",
        "How do families apply for an in-year school transfer?",
        "When do parents find out which secondary school they got?",
        "Can a child start reception part-time?",
        "What happens if a family moves house after applying for a school?",
        "How many school preferences can a parent list?",
        "Do looked-after children get first priority in admissions?",
        "Can a summer-born child defer starting school?",
        "How does the waiting list for a school place work?",
        "Is there help with a school admission appeal hearing?",
        "Can a family apply for a school outside the borough?",
        "What evidence of address do school applications need?",
        "How are faith school places allocated?",
        "A parent emailed admissions@example.net about a late application, what now?",
        "Do twins both get a place at the same school?",
        "When does the application window for junior school open?",
    ],
    "dogs_and_fouling": [
        "What is the fine for not picking up after a dog?",
        "How do I report a stray dog?",
        "Can dogs be banned from the children's play area?",
        "Who collects stray dogs at night?",
        "How many dogs can a professional dog walker take out?",
        "Where can residents report dog fouling on the pavement?",
        "Is there a public spaces protection order for dogs on leads?",
        "What happens to a stray dog that nobody claims?",
        "Do we provide dog waste bins in parks?",
        "Can a resident get their lost dog back from the kennels?",
        "Are dogs allowed on the beach in summer?",
        "How do we deal with an aggressive dog on an estate?",
        "Who enforces the dog control order in cemeteries?",
        "Does the council microchip dogs for free?",
        "Can we issue a fixed penalty for dog mess in a park?",
        "What should residents do if they find a dog in the street?",
        "Do dog wardens patrol at weekends?",
        "Is there a charge to reclaim a dog from the pound?",
        "How do we stop people letting their dogs foul the school path?",
        "Can a tenant keep a dog in a council flat?",
    ],
}


@dataclass(frozen=True)
class Planted:
    """What went into a seeded log: each asked question and the topic it was planted for."""

    questions: list[tuple[str, str]]  # (question as asked, planted topic or "")
    start: datetime
    end: datetime

    def __len__(self) -> int:
        return len(self.questions)


def background(kind: str) -> list[dict]:
    """Golden-set rows (question and history) as background: questions of every kind that are
    not about the planted topics."""
    name = "golden.jsonl" if kind == "tune" else "golden_defra.jsonl"  # holdout: as test
    lines = (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def refused_answer(question: str, standalone: str = "") -> Answer:
    return Answer(
        question=question,
        answer="The documents don't answer this question.",
        refused=True,
        refusal_reason="no passage is close enough to the question",
        citations=(),
        sources=(),
        standalone_question=standalone,
    )


def answered(question: str) -> Answer:
    return Answer(question, "An answer from the documents [1].", False, None, (), ())


class Clock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


def write_log(
    database: Path, kind: str = "test", seed: int = 18, start: datetime = START
) -> Planted:
    """Write a seeded log into ``database`` (the web app's private SQLite file), over the
    ``DAYS`` days from ``start`` (a running app purges conversations past their retention)."""
    topics = {"test": TEST_TOPICS, "tune": TUNE_TOPICS, "holdout": HOLDOUT_TOPICS}[kind]
    rng = random.Random(seed)
    asked: list[tuple[str, str, list[str]]] = [
        (q, name, []) for name, qs in topics.items() for q in qs
    ]
    for row in background(kind):
        history = [t["question"] for t in row.get("history") or ()]
        asked.append((row["question"], "", history))
    rng.shuffle(asked)
    clock = Clock(start)
    refusals = RefusalLog(database, now=clock)
    feedback = FeedbackStore(database, now=clock)
    conversations = ConversationStore(database, now=clock, retention_days=3650)
    step = timedelta(days=DAYS) / len(asked)
    pool = [q for q, topic, _ in asked if not topic]
    for i, (question, _topic, history) in enumerate(asked):
        clock.moment = start + step * i
        signal = rng.choices(["refused", "rated_down", "followed_up"], weights=[5, 3, 2])[0]
        if history or signal == "followed_up":
            before = history[-1] if history else rng.choice(pool)
            browser = f"browser-{i:04d}-" + "x" * 16
            conversation = conversations.save_turn(browser, None, before, answered(before))
            clock.moment += timedelta(seconds=rng.randint(20, 120))
            conversations.save_turn(browser, conversation, question, answered(question))
            signal = "followed_up"
        elif signal == "refused":
            refusals.record(refused_answer(question), rng.choice(["web", "api", "openai"]))
        else:
            feedback.add(
                "down", question, "An answer that missed the point [1].", reason="not what I asked"
            )
    return Planted([(q, t) for q, t, _ in asked], start, start + step * len(asked))

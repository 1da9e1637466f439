"""The demo shop's fixed material: people, products and the customer-service conversations they have.

Placeholders in message texts: {name} customer, {order} order number, {product} product name, {option}
product option, {tracking} tracking number, {carrier} carrier, {agent} agent's name."""

from dataclasses import dataclass

SHOP_NAME = "손님상회"
SHOP_SLUG = "sonnim-demo"
ADMIN_EMAIL = "admin@sonnim.local"
ADMIN_PASSWORD = "sonnim-demo-1234"  # printed by `sonnim demo`: the demo is not for production

# (email, display name, role)
AGENTS = [
    ("minji@sonnim.local", "김민지", "supervisor"),
    ("junho@sonnim.local", "이준호", "agent"),
    ("seoyeon@sonnim.local", "박서연", "agent"),
    ("dohyun@sonnim.local", "최도현", "agent"),
]
TEAMS = {"배송·주문팀": [0, 1], "교환·반품팀": [2, 3]}

# (kind, name, share of Korean conversations)
INBOXES = [
    ("kakao", "카카오톡 채널 @손님상회", 30),
    ("talktalk", "네이버 톡톡", 14),
    ("board", "1:1 문의 게시판", 16),
    ("email", "help@sonnim.local", 12),
    ("webchat", "웹 채팅", 12),
    ("sms", "고객센터 문자 1588-0000", 8),
    ("api", "자사몰 API", 8),
]

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN_NAMES = [
    "민준",
    "서연",
    "지호",
    "하은",
    "도윤",
    "수아",
    "예준",
    "지유",
    "시우",
    "서윤",
    "주원",
    "하린",
    "지훈",
    "채원",
    "건우",
    "지민",
    "현우",
    "유진",
    "우진",
    "다은",
    "선우",
    "예린",
    "정우",
    "수빈",
    "은서",
    "태윤",
    "가은",
    "승민",
    "나연",
    "영희",
    "미경",
    "순자",
    "정숙",
    "상철",
    "경호",
]
ENGLISH_NAMES = [
    "Emily Carter",
    "James Wilson",
    "Sophia Nguyen",
    "Daniel Kim",
    "Olivia Brown",
    "Lucas Martin",
]

# (sku, name, price, options)
PRODUCTS = [
    ("CL-1001", "데일리 오버핏 맨투맨", 39_000, ["블랙 / M", "블랙 / L", "그레이 / M", "아이보리 / S"]),
    ("CL-1002", "린넨 와이드 팬츠", 45_900, ["베이지 / S", "베이지 / M", "차콜 / L"]),
    ("CL-1003", "캐시미어 블렌드 니트", 79_000, ["오트밀 / FREE", "네이비 / FREE"]),
    ("CL-1004", "경량 패딩 점퍼", 129_000, ["블랙 / 95", "블랙 / 100", "카키 / 105"]),
    ("CL-1005", "스트라이프 셔츠 원피스", 58_000, ["블루 / S", "블루 / M"]),
    ("CL-1006", "기모 조거 팬츠", 32_900, ["그레이 / M", "블랙 / L", "블랙 / XL"]),
    ("CS-2001", "수분 진정 토너 300ml", 24_000, [""]),
    ("CS-2002", "비타민C 세럼 30ml", 36_000, [""]),
    ("CS-2003", "무기자차 선크림 SPF50+", 19_800, [""]),
    ("CS-2004", "저자극 클렌징 폼", 12_900, [""]),
    ("CS-2005", "시카 리페어 크림 50ml", 28_500, [""]),
    ("FD-3001", "제주 감귤 5kg", 29_900, ["중과", "대과"]),
    ("FD-3002", "국산 참기름 350ml", 18_000, [""]),
    ("FD-3003", "수제 그래놀라 500g", 15_900, ["오리지널", "초코"]),
    ("FD-3004", "유기농 현미 4kg", 27_000, [""]),
    ("FD-3005", "한우 불고기 밀키트 2인분", 34_900, [""]),
]
CARRIERS = ["CJ대한통운", "한진택배", "롯데택배", "우체국택배"]
# order status -> weight
ORDER_STATUSES = {"paid": 12, "preparing": 14, "shipped": 22, "delivered": 40, "cancelled": 6, "returned": 6}


@dataclass(frozen=True)
class Topic:
    """One kind of inquiry: how it opens, how the customer follows up, what agents answer and note."""

    key: str
    subject: str
    tags: tuple[str, ...]
    openings: tuple[str, ...]
    follow_ups: tuple[str, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...] = ()
    needs_order: bool = True
    priority: str = "medium"


TOPICS = [
    Topic(
        "shipping",
        "배송 문의",
        ("배송문의",),
        (
            "안녕하세요 주문번호 {order} 배송 언제 되나요?",
            "{product} 주문했는데 아직 출발을 안 했네요. 언제 받을 수 있을까요?",
            "택배 조회가 안 돼요. 송장번호 {tracking} 맞나요?",
            "배송 조회하면 계속 집화 처리중으로 나와요 ㅠㅠ 주문번호 {order}입니다",
            "이번 주 안에 받을 수 있을까요? 선물용이라 급해요",
        ),
        (
            "네 감사합니다!",
            "혹시 오늘 출발하나요?",
            "아직도 안 왔어요. 확인 부탁드려요",
            "받았습니다 감사해요 :)",
        ),
        (
            "안녕하세요 {name} 고객님, {agent}입니다. 주문하신 {product}은(는) {carrier} {tracking}으로 "
            "출고되었습니다. 1~2일 내 도착 예정입니다.",
            "고객님 불편을 드려 죄송합니다. 물류센터에 확인해 보니 오늘 출고 예정입니다. 출고되면 알림톡으로 "
            "송장번호를 보내 드리겠습니다.",
            "확인해 보니 택배사 터미널 물량이 많아 하루 정도 지연되고 있습니다. 양해 부탁드립니다.",
        ),
        ("택배사에 배송 지연 문의 넣음", "물류센터 출고 누락 확인 요청"),
    ),
    Topic(
        "exchange",
        "교환 요청",
        ("교환",),
        (
            "{product} {option} 받았는데 사이즈가 작아요. 한 치수 큰 걸로 교환 가능할까요?",
            "색상을 잘못 골랐어요 ㅠ {product} 다른 색으로 교환하고 싶어요",
            "주문번호 {order} 교환 신청하려고 하는데 어떻게 하나요?",
        ),
        ("교환 배송비는 얼마인가요?", "회수 기사님 언제 오시나요?", "네 그렇게 진행해 주세요"),
        (
            "{name} 고객님, 교환 접수 도와드리겠습니다. 단순 변심 교환은 왕복 배송비 6,000원이 발생합니다. "
            "회수는 영업일 기준 1~2일 내 방문 예정입니다.",
            "교환 접수되었습니다. 회수 상품 확인 후 새 상품을 바로 발송해 드리겠습니다.",
        ),
        ("교환 재고 확인 완료", "회수 접수 완료 - CJ 반품 예약"),
    ),
    Topic(
        "return",
        "반품 요청",
        ("반품",),
        (
            "{product} 반품하고 싶어요. 주문번호 {order}입니다",
            "반품 요청합니다. 생각했던 것과 재질이 달라요",
            "받은 상품에 얼룩이 있어서 반품 원해요. 사진 첨부할게요",
        ),
        ("반품 택배 접수는 제가 해야 하나요?", "포장 박스 버렸는데 괜찮을까요?", "회수 완료됐다고 떠요"),
        (
            "불편을 드려 죄송합니다. 반품 접수해 드렸고, 회수 후 검수가 끝나면 환불이 진행됩니다.",
            "상품 하자로 확인되어 반품 배송비는 저희가 부담합니다. 회수 기사님이 1~2일 내 방문하십니다.",
        ),
        ("상품 하자 사진 확인 - 생산팀 공유", "반품 검수 대기"),
    ),
    Topic(
        "refund",
        "환불 문의",
        ("환불",),
        (
            "환불 언제 되나요? 반품 보낸 지 일주일 지났어요",
            "주문 취소했는데 카드 환불이 아직 안 들어왔어요",
            "환불해주세요. 주문번호 {order}",
            "부분 환불 가능한가요? 하나만 반품하려고요",
        ),
        ("카드사에 확인해 볼게요", "아직 입금이 안 됐어요", "확인했습니다 감사합니다"),
        (
            "{name} 고객님, 환불은 오늘 처리되었습니다. 카드사 사정에 따라 영업일 기준 3~5일 소요됩니다.",
            "검수가 완료되어 {amount}원 환불 처리했습니다. 이용해 주셔서 감사합니다.",
        ),
        ("PG사 환불 처리 요청함", "부분 환불 금액 재무팀 확인 필요"),
    ),
    Topic(
        "size",
        "사이즈 문의",
        ("사이즈",),
        (
            "키 165에 55kg인데 {product} 어떤 사이즈가 맞을까요?",
            "{product} 평소 M 입는데 오버핏이면 S 사도 될까요?",
            "실측 사이즈 알려주실 수 있나요? 총장이랑 어깨 너비요",
        ),
        ("그럼 M으로 주문할게요!", "허리는 밴딩인가요?"),
        (
            "안녕하세요 {name} 고객님. 말씀하신 체형이면 M 사이즈를 추천드립니다. 오버핏으로 여유 있게 "
            "나왔어요.",
            "{product} M 기준 총장 68cm, 어깨 52cm입니다. 상세페이지 하단 실측표도 참고해 주세요.",
        ),
        (),
        False,
    ),
    Topic(
        "coupon",
        "쿠폰·적립금 문의",
        ("쿠폰", "적립금"),
        (
            "회원가입 쿠폰이 안 보여요",
            "적립금 사용하려는데 결제창에서 적용이 안 돼요",
            "리뷰 작성했는데 적립금이 안 들어왔어요",
            "생일 쿠폰은 언제 발급되나요?",
        ),
        ("지금 확인해 보니 들어왔네요", "쿠폰 유효기간은 언제까지인가요?"),
        (
            "확인해 보니 적립금 2,000원이 누락되어 지급해 드렸습니다. 불편을 드려 죄송합니다.",
            "회원가입 쿠폰은 마이페이지 > 쿠폰함에서 확인하실 수 있습니다. 최소 주문금액 30,000원 이상일 때 "
            "적용됩니다.",
        ),
        ("리뷰 적립금 수동 지급 2,000원",),
        False,
    ),
    Topic(
        "complaint",
        "불만 접수",
        ("불만", "긴급"),
        (
            "정말 너무하네요. 세 번째 문의인데 아무도 답이 없어요",
            "{product} 받았는데 박스가 다 찢어져 왔어요. 선물용이었는데 어떻게 하실 거예요?",
            "상담원 연결이 왜 이렇게 안 되나요? 배송은 일주일째 그대로예요",
            "감귤이 절반은 상해서 왔어요. 사진 보내드립니다",
        ),
        ("빨리 처리해 주세요", "다시는 안 살 것 같아요", "그럼 재발송으로 부탁드려요"),
        (
            "{name} 고객님, 먼저 불편을 드려 정말 죄송합니다. 바로 재발송 처리하고 배송비는 저희가 "
            "부담하겠습니다.",
            "기다리시게 해서 죄송합니다. 담당자가 직접 확인해 오늘 중으로 연락드리겠습니다.",
        ),
        ("VIP 고객 - 팀장 확인 필요", "재발송 + 적립금 5,000원 보상 승인"),
        True,
        "high",
    ),
    Topic(
        "cancel",
        "주문 취소",
        ("주문취소",),
        ("주문번호 {order} 취소하고 싶어요", "실수로 두 번 결제했어요. 하나 취소해 주세요"),
        ("취소 완료된 건가요?", "감사합니다"),
        (
            "출고 전이라 바로 취소 처리해 드렸습니다. 결제 수단으로 영업일 3일 내 환불됩니다.",
            "중복 결제 건 하나를 취소했습니다. 확인 부탁드립니다.",
        ),
        ("출고 보류 요청 - 물류센터",),
    ),
    Topic(
        "address",
        "배송지 변경",
        ("배송지변경",),
        ("배송지 변경 가능할까요? 회사로 받고 싶어요", "주소를 잘못 입력했어요. 동 호수가 빠졌어요"),
        ("네 맞습니다", "변경 감사합니다!"),
        ("출고 전이라 배송지 변경해 드렸습니다. 변경된 주소 한 번만 확인 부탁드립니다.",),
        (),
    ),
    Topic(
        "product",
        "상품 문의",
        ("상품문의",),
        (
            "{product} 재입고 언제 되나요?",
            "{product} 성분 중에 알코올 들어가나요? 피부가 예민해서요",
            "밀키트 유통기한이 어떻게 되나요?",
        ),
        ("알림 신청했어요", "감사합니다 주문할게요"),
        (
            "문의 감사합니다. 다음 주 수요일 재입고 예정이며, 상품 페이지에서 재입고 알림 신청이 가능합니다.",
            "해당 제품은 무알코올 제품입니다. 전성분은 상세페이지 하단에서 확인하실 수 있어요.",
        ),
        (),
        False,
        "low",
    ),
]

ENGLISH_TOPICS = [
    Topic(
        "shipping",
        "Where is my order?",
        ("배송문의", "english"),
        (
            "Hi, I ordered the {product} last week (order {order}). When will it ship?",
            "Do you ship to the US? How long does international delivery take?",
            "The tracking number {tracking} doesn't show anything yet. Could you check?",
        ),
        ("Thanks for the quick answer!", "Still nothing on the tracking page."),
        (
            "Hello {name}, your order left our warehouse today with {carrier}, tracking {tracking}. "
            "It should arrive in 1-2 business days.",
            "Sorry for the wait. We ship within Korea only for now, but you can use a forwarding service.",
        ),
        ("영문 응대 - 해외 배송 불가 안내",),
    ),
    Topic(
        "refund",
        "Refund request",
        ("환불", "english"),
        (
            "I'd like a refund for order {order}, the color is different from the photos.",
            "I returned the item two weeks ago. When will I get my refund?",
        ),
        ("OK, thank you.", "I got it, thanks!"),
        ("Hi {name}, we have processed your refund. It may take 3-5 business days to show on your card.",),
        (),
    ),
    Topic(
        "size",
        "Size question",
        ("사이즈", "english"),
        ("I'm 180cm and 75kg. Which size of the {product} would fit me?", "Does the {product} run small?"),
        ("Great, I'll order an L.",),
        ("Hi {name}, for your height we recommend L. The fit is relaxed, so L will be comfortable.",),
        (),
        False,
        "low",
    ),
]

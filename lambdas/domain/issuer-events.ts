/**
 * The Issuer's request events (IIssuer.sol), as ethers human-readable fragments: a mint or redeem
 * is requested, then filled, cancelled by its requester or rejected by its maker; `mint` and
 * `redeem` settle at once and emit only the fill. `requester` is indexed, so a WLP's own requests
 * are one log filter away. Shared by the CLI and the web app.
 */
export const ISSUER_REQUEST_EVENTS = [
  'event Minted(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee)',
  'event Redeemed(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee)',
  'event MintRequested(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee, uint64 expiresAt)',
  'event RedeemRequested(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount, address cashToken, uint256 cashAmount, uint256 fee, uint64 expiresAt)',
  'event MintCancelled(bytes32 indexed orderHash, address indexed index, address indexed requester, address cashToken, uint256 refund)',
  'event RedeemCancelled(bytes32 indexed orderHash, address indexed index, address indexed requester, uint256 indexAmount)',
  'event MintRejected(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, address cashToken, uint256 refund)',
  'event RedeemRejected(bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount)',
] as const;
